import assert from 'node:assert/strict';
import ICAL from 'ical.js';
import type { OpenBundle } from '#agent/restore/open-bundle.ts';
import { inviteHead } from '#core/calendar/invite-metadata.ts';
import type { MailboxState, MailSnapshot } from '#core/mail-snapshot.ts';
import { type AccountManifest, accountDir } from '#core/restore/bundle-manifest.ts';

/** A bundle account's manifest in the snapshot form the simulator's truth has (renames aside). */
export function stateOfManifest(manifest: AccountManifest): Omit<MailboxState, 'renamedTo'> {
  return {
    accountId: manifest.account.zimbraId,
    folders: Object.fromEntries([
      ...manifest.folders.map(({ id, ...f }) => [String(id), f] as const),
      ...manifest.searches.map(
        ({ id, query, types, sort, ...f }) => [String(id), { ...f, search: { query, types, sort } }] as const,
      ),
      ...manifest.mountpoints.map(
        ({ id, ownerId, remoteId, remoteUuid, reminder, ...f }) =>
          [
            String(id),
            {
              ...f,
              mount: {
                ownerId,
                remoteId,
                ...(remoteUuid !== undefined ? { remoteUuid } : {}),
                ...(reminder ? { reminder } : {}),
              },
            },
          ] as const,
      ),
    ]),
    tags: Object.fromEntries(manifest.tags.map((t) => [t.name, t.id])),
    ...(manifest.config.length > 0
      ? { config: Object.fromEntries(manifest.config.map((c) => [c.section, c.metadata])) }
      : {}),
    messages: Object.fromEntries(
      manifest.messages.map((m) => [
        String(m.id),
        {
          folderId: m.folderId,
          flags: m.flags,
          tags: m.tags,
          digest: m.digest,
          size: m.size,
          sha256: m.sha256,
          receivedDate: m.receivedDate,
          ...(m.custom ? { custom: m.custom } : {}),
        },
      ]),
    ),
    contacts: Object.fromEntries(
      manifest.contacts.map((c) => [
        String(c.id),
        {
          folderId: c.folderId,
          fields: c.fields,
          sha256: c.sha256,
          ...(c.custom ? { custom: c.custom } : {}),
        },
      ]),
    ),
    calendar: Object.fromEntries(manifest.calendar.map(({ id, ...item }) => [String(id), item])),
    documents: Object.fromEntries(
      manifest.documents.map(({ id, ...d }) => [
        String(id),
        { ...d, revisions: d.revisions.map(({ file: _file, ...r }) => r) },
      ]),
    ),
    ...(manifest.notes.length > 0
      ? { notes: Object.fromEntries(manifest.notes.map(({ id, ...n }) => [String(id), n])) }
      : {}),
  };
}

/** The truth's mailbox without what a bundle does not carry: the root folder and the redo rename. */
export function comparableTruth(state: MailboxState): Omit<MailboxState, 'renamedTo'> {
  const { renamedTo: _renamed, ...rest } = structuredClone(state);
  delete rest.folders['1'];
  return rest;
}

/**
 * Every account of a bundle as a snapshot keyed by mailbox id, each message's bytes read (and so checked
 * against the manifest's SHA-256, which the comparison then checks against the truth's).
 */
export async function snapshotOfBundle(
  bundle: OpenBundle,
): Promise<Record<string, Omit<MailboxState, 'renamedTo'>>> {
  const out: Record<string, Omit<MailboxState, 'renamedTo'>> = {};
  for (const [index, account] of bundle.accounts.entries()) {
    for (const message of account.messages) await bundle.message(index, message);
    for (const d of account.documents)
      for (const r of d.revisions) await bundle.file(`${accountDir(index)}/${r.file}`, r.sha256);
    for (const book of account.addressBooks)
      checkAddressBook(account, book, await bundle.file(`${accountDir(index)}/${book.file}`, book.sha256));
    for (const file of account.calendars)
      checkCalendarFile(account, file, await bundle.file(`${accountDir(index)}/${file.file}`, file.sha256));
    out[String(account.account.mailboxId)] = stateOfManifest(account);
  }
  return out;
}

export function comparableSnapshot(snapshot: MailSnapshot): Record<string, Omit<MailboxState, 'renamedTo'>> {
  return Object.fromEntries(Object.entries(snapshot.mailboxes).map(([id, m]) => [id, comparableTruth(m)]));
}

/**
 * A calendar file holds, read by an independent parser, one VEVENT or VTODO per invite of the folder's items
 * in the manifest, with their UIDs and recurrence ids.
 */
function checkCalendarFile(
  account: AccountManifest,
  file: AccountManifest['calendars'][number],
  bytes: Buffer,
): void {
  const calendar = new ICAL.Component(ICAL.parse(bytes.toString('utf8')));
  const found = [...calendar.getAllSubcomponents('vevent'), ...calendar.getAllSubcomponents('vtodo')]
    .map((c) => `${c.name} ${c.getFirstPropertyValue('uid')} ${c.hasProperty('recurrence-id')}`)
    .sort();
  const wanted = account.calendar
    .filter((c) => c.folderId === file.folderId)
    .flatMap((c) =>
      c.invites.flatMap((inv) => {
        let head: ReturnType<typeof inviteHead>;
        try {
          head = inviteHead(inv);
        } catch {
          // Not in the file: the manifest keeps it as the server wrote it and says why.
          assert.ok(
            account.unrestored.some((u) => u.id === c.id && u.kind === 'calendar'),
            `invite of ${c.id} reported`,
          );
          return [];
        }
        return [`${head.type === 'task' ? 'vtodo' : 'vevent'} ${head.uid} ${head.recurrenceId !== null}`];
      }),
    )
    .sort();
  assert.deepEqual(found, wanted, `${file.file} of ${account.account.name}`);
  assert.equal(found.length, file.components);
}

/** A vCard file holds, read by an independent parser, one card per contact of its folder with its addresses. */
function checkAddressBook(
  account: AccountManifest,
  book: AccountManifest['addressBooks'][number],
  bytes: Buffer,
): void {
  const parsed = ICAL.parse(bytes.toString('utf8'));
  const cards = (parsed.length > 0 && typeof parsed[0] === 'string' ? [parsed] : parsed) as unknown[];
  const found = cards
    .map((c) => new ICAL.Component(c as unknown[]))
    .map((c) => [c.getFirstPropertyValue('uid'), c.getAllProperties('email').map((p) => p.getFirstValue())])
    .sort();
  const wanted = account.contacts
    .filter((c) => c.folderId === book.folderId)
    .map((c) => [
      `${account.account.zimbraId}:${c.id}`,
      Object.keys(c.fields)
        .filter((k) => /^email\d*$/.test(k) && c.fields[k])
        .sort((a, b) => Number(a.slice(5) || 1) - Number(b.slice(5) || 1))
        .map((k) => c.fields[k]),
    ])
    .sort();
  assert.deepEqual(found, wanted, `${book.file} of ${account.account.name}`);
  assert.equal(found.length, book.cards);
}
