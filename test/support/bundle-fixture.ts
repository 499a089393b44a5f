import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type AccountManifest, BUNDLE_FORMAT, type BundleManifest } from '#core/restore/bundle-manifest.ts';
import { inviteMetadata } from '#local/mail-host/calendar-invites.ts';

const sha = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

export const FIXTURE_MESSAGE = Buffer.from('From: a@example.net\r\nSubject: kept\r\n\r\nhello\r\n');

/** A small valid account manifest: Inbox, a folder "Work" under the root, one message in each. */
export function fixtureAccount(): AccountManifest {
  const message = (id: number, folderId: number) => ({
    id,
    folderId,
    flags: 0,
    tags: ['work'],
    receivedDate: Date.UTC(2026, 10, 20, 9),
    size: FIXTURE_MESSAGE.length,
    digest: 'x',
    sha256: sha(FIXTURE_MESSAGE),
    file: `messages/${id}.eml`,
  });
  return {
    format: BUNDLE_FORMAT,
    account: { name: 'jane@example.com', zimbraId: 'a1', serverId: 'srv', mailboxId: 1 },
    target: 'jane@example.com',
    folders: [
      { id: 2, name: 'Inbox', parentId: 1 },
      { id: 300, name: 'Work', parentId: 1 },
    ],
    searches: [],
    mountpoints: [],
    config: [],
    notes: [],
    tags: [{ name: 'work', id: 64 }],
    messages: [message(257, 2), message(258, 300)],
    contacts: [],
    uncertain: [],
    addressBooks: [],
    calendar: [],
    calendars: [],
    documents: [],
    unrestored: [],
  };
}

/**
 * Writes a bundle directory from an account manifest, as `restore download` leaves one: the manifests with
 * matching digests (unless `tamper` changes something after they were computed) and each message's file.
 */
export function writeFixtureBundle(
  dir: string,
  account: unknown,
  options: { messages?: Record<string, Buffer>; afterDigests?: (dir: string) => void } = {},
): void {
  const accountJson = JSON.stringify(account);
  const put = (path: string, body: Buffer | string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), body);
  };
  put('accounts/0/manifest.json', accountJson);
  for (const [path, body] of Object.entries(
    options.messages ?? { 'messages/257.eml': FIXTURE_MESSAGE, 'messages/258.eml': FIXTURE_MESSAGE },
  ))
    put(`accounts/0/${path}`, body);
  const a = account as AccountManifest;
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    operationId: '00000000-0000-4000-8000-000000000000',
    mode: 'point-in-time',
    createdAt: new Date(0).toISOString(),
    point: { time: new Date(0).toISOString() },
    accounts: [
      {
        index: 0,
        name: a.account?.name,
        target: a.target,
        file: 'accounts/0/manifest.json',
        sha256: sha(accountJson),
        messages: a.messages?.length ?? 0,
        bytes: 0,
        unrestored: 0,
      },
    ],
  };
  put('manifest.json', JSON.stringify(manifest));
  options.afterDigests?.(dir);
}

export const FIXTURE_DOCUMENT_V1 = Buffer.from('first draft\n');
export const FIXTURE_DOCUMENT_V2 = Buffer.from('second draft, longer\n');
/** A folder name that is long and not ASCII: its entry name needs a GNU long name in the archive. */
export const LONG_FOLDER = `Проекты ${'очень длинное имя '.repeat(4)}2026`;

/**
 * An account with one of every item kind a Zimbra archive carries: folders (one with a view, color and a
 * share, one nested under a long non-ASCII name), a saved search, tags, a mountpoint, messages (unread,
 * flagged, tagged), a contact, an appointment and a task, a document with two revisions, and a note.
 */
export function everyKindAccount(): {
  account: AccountManifest;
  files: Record<string, Buffer>;
} {
  const base = fixtureAccount();
  const message = (id: number, folderId: number, flags: number, tags: string[]) => ({
    ...(base.messages[0] as AccountManifest['messages'][number]),
    id,
    folderId,
    flags,
    tags,
    file: `messages/${id}.eml`,
  });
  const revision = (version: number, body: Buffer, name: string) => ({
    version,
    name,
    contentType: 'text/plain',
    author: 'jane@example.com',
    date: Date.UTC(2026, 10, 20 + version),
    size: body.length,
    digest: `d${version}`,
    sha256: sha(body),
    file: `documents/900/${version}`,
  });
  const account: AccountManifest = {
    ...base,
    folders: [
      { id: 2, name: 'Inbox', parentId: 1, view: 5 },
      { id: 7, name: 'Contacts', parentId: 1, view: 6 },
      { id: 10, name: 'Calendar', parentId: 1, view: 11 },
      { id: 15, name: 'Tasks', parentId: 1, view: 15 },
      { id: 16, name: 'Briefcase', parentId: 1, view: 8 },
      {
        id: 300,
        name: 'Work',
        parentId: 1,
        view: 5,
        color: 3,
        grants: [{ grantee: 'b1', type: 1, rights: 1 }],
      },
      { id: 301, name: LONG_FOLDER, parentId: 300 },
    ],
    searches: [
      { id: 400, name: 'Unread', parentId: 1, query: 'is:unread', types: 'message', sort: 'dateDesc' },
    ],
    mountpoints: [{ id: 401, name: "Bob's calendar", parentId: 1, ownerId: 'b1', remoteId: 10, view: 11 }],
    tags: [
      { name: 'work', id: 64 },
      { name: 'fo:o', id: 65 },
    ],
    messages: [
      message(257, 2, 1 << 9, ['work']),
      message(258, 300, 1 << 5, ['work', 'fo:o']),
      message(259, 301, 0, []),
    ],
    contacts: [
      {
        id: 500,
        folderId: 7,
        fields: { firstName: 'Ann', lastName: 'Lee', email: 'ann@example.net' },
        sha256: null,
      },
      { id: 501, folderId: 7, fields: { fullName: 'Ann Lee', email: 'ann2@example.net' }, sha256: null },
    ],
    calendar: [
      {
        id: 600,
        folderId: 10,
        type: 'appointment',
        flags: 0,
        tags: [],
        uid: 'u-600',
        invites: [fixtureInvite('u-600', 'appointment')],
      },
      {
        id: 601,
        folderId: 15,
        type: 'task',
        flags: 0,
        tags: ['work'],
        uid: 'u-601',
        invites: [fixtureInvite('u-601', 'task')],
      },
    ],
    documents: [
      {
        id: 900,
        folderId: 16,
        type: 'document',
        flags: 0,
        tags: [],
        name: 'plan.txt',
        description: 'the plan',
        revisions: [
          revision(1, FIXTURE_DOCUMENT_V1, 'plan.txt'),
          revision(2, FIXTURE_DOCUMENT_V2, 'plan.txt'),
        ],
      },
    ],
    notes: [
      {
        id: 950,
        folderId: 2,
        type: 'note',
        flags: 0,
        tags: [],
        text: 'call Ann',
        date: Date.UTC(2026, 10, 1),
      },
    ],
  };
  return {
    account,
    files: {
      'messages/257.eml': FIXTURE_MESSAGE,
      'messages/258.eml': FIXTURE_MESSAGE,
      'messages/259.eml': FIXTURE_MESSAGE,
      'documents/900/1': FIXTURE_DOCUMENT_V1,
      'documents/900/2': FIXTURE_DOCUMENT_V2,
    },
  };
}

/** A one-hour invite of an appointment or a task, as the server encodes one. */
export function fixtureInvite(uid: string, type: 'appointment' | 'task'): string {
  return inviteMetadata({
    type,
    uid,
    sequence: 0,
    start: Date.UTC(2026, 11, 1, 9),
    end: Date.UTC(2026, 11, 1, 10),
    zoned: false,
    summary: type === 'task' ? 'File taxes' : 'Standup',
    location: '',
    organizer: 'jane@example.com',
    attendees: [],
    method: 'PUBLISH',
    status: 'CONF',
    isOrganizer: true,
    stamp: Date.UTC(2026, 10, 1),
  });
}
