import { isDeepStrictEqual } from 'node:util';
import { withoutDefaults } from '#core/index/apply-folder-op.ts';
import type { EntityView } from '#core/index/apply-transaction.ts';
import {
  type CalendarEntity,
  type ConfigEntity,
  type ContactEntity,
  configKey,
  type DocumentEntity,
  type EntityState,
  type FolderEntity,
  itemIdOf,
  itemKey,
  MAILBOX_KEY,
  type MessageEntity,
  type NoteEntity,
  type TagEntity,
  tagKey,
} from '#core/index/index-entity.ts';
import { hintsOf } from '#core/index/message-summary.ts';
import { SECRET_CONFIG_SECTIONS } from '#core/mail-snapshot.ts';
import type { ScanSnapshot } from '#core/scan/scan-snapshot.ts';

/** What a scan changed in the index, per entity; `details` lists the first few for the report. */
export interface ScanChanges {
  added: number;
  changed: number;
  deleted: number;
  unchanged: number;
  mailboxAdded: boolean;
  /** With `changed`: the fields the index had wrong. */
  details: { key: string; change: 'added' | 'changed' | 'deleted'; fields?: string[] }[];
}

const MAX_DETAILS = 200;

/**
 * Makes a mailbox's entities in the view equal to what the server's database held, as of the scan's
 * position: what the index lacks is added, what differs is replaced, what the server no longer has is
 * deleted. A message's received date is compared to the second (the database keeps seconds), and what only
 * the redo stream knows (subject, sender, recipients and attachment names read from the body) is kept when the
 * rest agrees.
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
  const note = (key: string, change: 'added' | 'changed' | 'deleted', fields?: string[]) => {
    changes[change]++;
    if (changes.details.length < MAX_DETAILS)
      changes.details.push({ key, change, ...(fields ? { fields } : {}) });
  };
  const mailbox = view.get(mailboxId, MAILBOX_KEY);
  if (snapshot.header.absent) {
    // Deleted on the server (its DeleteMailbox may have been in lost redo): its validity ends, as redo's would.
    if (mailbox?.kind === 'mailbox') {
      view.set(mailboxId, MAILBOX_KEY, null);
      note(MAILBOX_KEY, 'deleted');
    }
    return changes;
  }
  if (mailbox?.kind !== 'mailbox' || mailbox.accountId !== accountId) {
    view.set(mailboxId, MAILBOX_KEY, { kind: 'mailbox', accountId, renamedTo: null });
    changes.mailboxAdded = true;
  }
  const wanted = new Map<string, EntityState>();
  for (const f of snapshot.folders) {
    const { type: _t, id: _i, ...state } = f;
    wanted.set(itemKey(f.id), withoutDefaults<FolderEntity>({ kind: 'folder', ...state }));
  }
  for (const t of snapshot.tags) wanted.set(tagKey(t.name), { kind: 'tag', tagId: t.id } satisfies TagEntity);
  for (const m of snapshot.messages) {
    const { type: _t, id: _i, ...state } = m;
    wanted.set(itemKey(m.id), { kind: 'message', ...state } satisfies MessageEntity);
  }
  for (const c of snapshot.contacts)
    wanted.set(itemKey(c.id), {
      kind: 'contact',
      folderId: c.folderId,
      fields: c.fields,
      sha256: c.sha256,
    } satisfies ContactEntity);
  for (const { type: _t, id, itemType, ...item } of snapshot.calendar)
    wanted.set(itemKey(id), { kind: 'calendar', type: itemType, ...item } satisfies CalendarEntity);
  for (const { type: _t, id, itemType, ...document } of snapshot.documents)
    wanted.set(itemKey(id), { kind: 'document', type: itemType, ...document } satisfies DocumentEntity);
  for (const { type: _t, id, itemType, ...note } of snapshot.notes ?? [])
    wanted.set(itemKey(id), { kind: 'note', type: itemType, ...note } satisfies NoteEntity);
  for (const { section, metadata } of snapshot.config ?? [])
    if (!SECRET_CONFIG_SECTIONS.has(section.toUpperCase()))
      wanted.set(configKey(section), { kind: 'config', metadata } satisfies ConfigEntity);
  // A snapshot that did not read notes or the configuration (an older agent's) leaves the index's alone.
  const kinds = new Set<EntityState['kind']>([
    ...SCANNED_KINDS,
    ...(snapshot.notes === undefined ? [] : (['note'] as const)),
    ...(snapshot.config === undefined ? [] : (['config'] as const)),
  ]);

  for (const [key, state] of wanted) {
    const current = view.get(mailboxId, key);
    if (!current) {
      view.set(mailboxId, key, state);
      if (state.kind === 'message' && state.conv !== undefined)
        view.joinConversation?.(mailboxId, state.conv, itemIdOf(key) as number);
      note(key, 'added');
      continue;
    }
    const differ = differences(current, state);
    if (differ.length === 0) changes.unchanged++;
    else {
      const kept = keepRedoDetail(current, state);
      view.set(mailboxId, key, kept);
      if (kept.kind === 'message' && kept.conv !== undefined && kept.conv !== (current as MessageEntity).conv)
        view.joinConversation?.(mailboxId, kept.conv, itemIdOf(key) as number);
      note(key, 'changed', differ);
    }
  }
  for (const [key, state] of [...view.list(mailboxId)]) {
    if (wanted.has(key) || !kinds.has(state.kind)) continue;
    view.set(mailboxId, key, null);
    note(key, 'deleted');
  }
  return changes;
}

const SCANNED_KINDS = new Set<EntityState['kind']>([
  'folder',
  'tag',
  'message',
  'contact',
  'calendar',
  'document',
]);

/** The fields in which the index differs from the server (empty: the same, as far as a scan can tell). */
function differences(current: EntityState, scanned: EntityState): string[] {
  if (current.kind !== scanned.kind) return ['kind'];
  const a = current as unknown as Record<string, unknown>;
  const b = scanned as unknown as Record<string, unknown>;
  const fields =
    current.kind === 'message'
      ? ['folderId', 'flags', 'digest', 'size', 'sha256', 'receivedDate', 'tags', 'custom']
      : current.kind === 'contact'
        ? ['folderId', 'sha256', 'fields', 'custom']
        : [...new Set([...Object.keys(a), ...Object.keys(b)])];
  // A snapshot that names the message's thread (a scan reads `parent_id`, a base snapshot keeps it) restates
  // it; one without (an older agent's scan) says nothing about it.
  if (current.kind === 'message' && scanned.kind === 'message' && scanned.conv !== undefined)
    fields.push('conv');
  return fields.filter((f) => {
    if (f === 'receivedDate')
      return Math.floor((a[f] as number) / 1000) !== Math.floor((b[f] as number) / 1000);
    if (f === 'fields')
      return (
        JSON.stringify(sorted(a[f] as Record<string, string>)) !==
        JSON.stringify(sorted(b[f] as Record<string, string>))
      );
    // Key order means nothing (the index's store does not keep it): compare by value.
    return !isDeepStrictEqual(a[f], b[f]);
  });
}

function keepRedoDetail(current: EntityState, scanned: EntityState): EntityState {
  if (current.kind !== 'message' || scanned.kind !== 'message') return scanned;
  return {
    ...scanned,
    ...hintsOf(current),
    // A snapshot that does not name a thread (an older agent's scan) leaves the one the redo log gave it.
    ...(current.conv !== undefined ? { conv: current.conv } : {}),
    ...(scanned.conv !== undefined ? { conv: scanned.conv } : {}),
    receivedDate:
      Math.floor(current.receivedDate / 1000) === Math.floor(scanned.receivedDate / 1000)
        ? current.receivedDate
        : scanned.receivedDate,
  };
}

function sorted(record: Record<string, string>): [string, string][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
