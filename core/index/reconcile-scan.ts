import type { EntityView } from '#core/index/apply-transaction.ts';
import {
  type ContactEntity,
  type EntityState,
  type FolderEntity,
  itemKey,
  MAILBOX_KEY,
  type MessageEntity,
  type TagEntity,
  tagKey,
} from '#core/index/index-entity.ts';
import type { ScanSnapshot } from '#core/scan/scan-snapshot.ts';

/** What a scan changed in the index, per entity; `details` lists the first few for the report. */
export interface ScanChanges {
  added: number;
  changed: number;
  deleted: number;
  unchanged: number;
  mailboxAdded: boolean;
  details: { key: string; change: 'added' | 'changed' | 'deleted' }[];
}

const MAX_DETAILS = 200;

/**
 * Makes a mailbox's entities in the view equal to what the server's database held, as of the scan's
 * position: what the index lacks is added, what differs is replaced, what the server no longer has is
 * deleted. A message's received date is compared to the second (the database keeps seconds), and what only
 * the redo stream knows (a subject or sender read from the body) is kept when the rest agrees.
 */
export function reconcileScan(snapshot: ScanSnapshot, view: EntityView): ScanChanges {
  const { mailboxId, accountId } = snapshot.header;
  const changes: ScanChanges = {
    added: 0,
    changed: 0,
    deleted: 0,
    unchanged: 0,
    mailboxAdded: false,
    details: [],
  };
  const note = (key: string, change: 'added' | 'changed' | 'deleted') => {
    changes[change]++;
    if (changes.details.length < MAX_DETAILS) changes.details.push({ key, change });
  };
  const mailbox = view.get(mailboxId, MAILBOX_KEY);
  if (mailbox?.kind !== 'mailbox' || mailbox.accountId !== accountId) {
    view.set(mailboxId, MAILBOX_KEY, { kind: 'mailbox', accountId, renamedTo: null });
    changes.mailboxAdded = true;
  }
  const wanted = new Map<string, EntityState>();
  for (const f of snapshot.folders)
    wanted.set(itemKey(f.id), { kind: 'folder', name: f.name, parentId: f.parentId } satisfies FolderEntity);
  for (const t of snapshot.tags) wanted.set(tagKey(t.name), { kind: 'tag', tagId: t.id } satisfies TagEntity);
  for (const m of snapshot.messages) {
    const { type: _t, id: _i, subject, from, ...state } = m;
    wanted.set(itemKey(m.id), {
      kind: 'message',
      ...state,
      ...(subject !== undefined ? { subject } : {}),
      ...(from !== undefined ? { from } : {}),
    } satisfies MessageEntity);
  }
  for (const c of snapshot.contacts)
    wanted.set(itemKey(c.id), {
      kind: 'contact',
      folderId: c.folderId,
      fields: c.fields,
      sha256: c.sha256,
    } satisfies ContactEntity);

  for (const [key, state] of wanted) {
    const current = view.get(mailboxId, key);
    if (!current) {
      view.set(mailboxId, key, state);
      note(key, 'added');
    } else if (sameForScan(current, state)) changes.unchanged++;
    else {
      view.set(mailboxId, key, keepRedoDetail(current, state));
      note(key, 'changed');
    }
  }
  for (const [key, state] of [...view.list(mailboxId)]) {
    if (wanted.has(key) || !SCANNED_KINDS.has(state.kind)) continue;
    view.set(mailboxId, key, null);
    note(key, 'deleted');
  }
  return changes;
}

const SCANNED_KINDS = new Set<EntityState['kind']>(['folder', 'tag', 'message', 'contact']);

function sameForScan(current: EntityState, scanned: EntityState): boolean {
  if (current.kind !== scanned.kind) return false;
  if (current.kind === 'message' && scanned.kind === 'message') {
    return (
      current.folderId === scanned.folderId &&
      current.flags === scanned.flags &&
      current.digest === scanned.digest &&
      current.size === scanned.size &&
      current.sha256 === scanned.sha256 &&
      Math.floor(current.receivedDate / 1000) === Math.floor(scanned.receivedDate / 1000) &&
      JSON.stringify(current.tags) === JSON.stringify(scanned.tags)
    );
  }
  if (current.kind === 'contact' && scanned.kind === 'contact')
    return (
      current.folderId === scanned.folderId &&
      current.sha256 === scanned.sha256 &&
      JSON.stringify(sorted(current.fields)) === JSON.stringify(sorted(scanned.fields))
    );
  return JSON.stringify(current) === JSON.stringify(scanned);
}

function keepRedoDetail(current: EntityState, scanned: EntityState): EntityState {
  if (current.kind !== 'message' || scanned.kind !== 'message') return scanned;
  return {
    ...scanned,
    ...(current.subject !== undefined ? { subject: current.subject } : {}),
    ...(current.from !== undefined ? { from: current.from } : {}),
    receivedDate:
      Math.floor(current.receivedDate / 1000) === Math.floor(scanned.receivedDate / 1000)
        ? current.receivedDate
        : scanned.receivedDate,
  };
}

function sorted(record: Record<string, string>): [string, string][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
