import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type AccountManifest, BUNDLE_FORMAT, type BundleManifest } from '#core/restore/bundle-manifest.ts';

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
