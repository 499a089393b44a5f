import { commentsOf } from '#core/index/apply-note-op.ts';
import { type EntityState, isFiled, itemIdOf, type MailboxEntity } from '#core/index/index-entity.ts';
import { mailboxStateOf } from '#core/index/mailbox-state-of.ts';
import { FLAG, FOLDER_ID } from '#core/mail-item.ts';
import type { MailboxState } from '#core/mail-snapshot.ts';
import { type PointedVersion, type RestorePoint, startedBy, validAt } from '#core/restore/restore-point.ts';

/** Every version of one mailbox entity the index holds (closed ones and the head; a null state is a tombstone). */
export interface EntityRecord extends PointedVersion {
  readonly key: string;
  readonly state: EntityState | null;
  /** The version ended because the entity was deleted. */
  readonly deleted?: boolean;
}

// What each restore mode takes from a mailbox's history. All return the snapshot form (MailboxState), the
// same shape the simulator's ground truth has, so a bundle can be compared with the truth directly.

/** The mailbox exactly as it was at the point. */
export function stateAt(
  mailbox: MailboxEntity,
  records: Iterable<EntityRecord>,
  point: RestorePoint,
): MailboxState {
  return mailboxStateOf(
    mailbox,
    latestBy(records, (r) => validAt(r, point) && r.state !== null),
  );
}

/**
 * The mailbox at the point as if nothing had been deleted: deletions, emptied folders and purges are
 * ignored (an item keeps its last state before it went), and a message moved to Trash stays in the folder
 * it was moved from.
 */
export function stateIgnoringDeletes(
  mailbox: MailboxEntity,
  records: Iterable<EntityRecord>,
  point: RestorePoint,
): MailboxState {
  const started = [...records].filter((r) => startedBy(r, point) && r.state !== null);
  return mailboxStateOf(
    mailbox,
    outOfTrash(
      started,
      latestBy(started, () => true),
    ),
  );
}

/** Messages in Trash put back in the folder they were in before (where one is known). */
function outOfTrash(records: EntityRecord[], entities: Map<string, EntityState>): Map<string, EntityState> {
  const lastOutsideTrash = new Map<string, number>();
  for (const r of [...records].sort(byPosition))
    if (r.state?.kind === 'message' && r.state.folderId !== FOLDER_ID.trash)
      lastOutsideTrash.set(r.key, r.state.folderId);
  for (const [key, entity] of entities) {
    const before = lastOutsideTrash.get(key);
    if (entity.kind === 'message' && entity.folderId === FOLDER_ID.trash && before !== undefined)
      entities.set(key, { ...entity, folderId: before });
  }
  return entities;
}

/**
 * Messages and contacts deleted in [from, to], each in its last state before the deletion, put into a
 * folder of their own (`folderName`, under the root) with the deleted flag cleared.
 */
export function deletedBetween(
  mailbox: MailboxEntity,
  records: Iterable<EntityRecord>,
  from: number,
  to: number,
  folderName: string,
): MailboxState {
  const gone = new Map<string, EntityState>();
  for (const r of [...records].sort(byPosition)) {
    if (!r.deleted || r.toTime === undefined || r.toTime < from || r.toTime > to || !r.state) continue;
    if (isFiled(r.state)) gone.set(r.key, r.state);
  }
  const state = mailboxStateOf(mailbox, gone);
  const folderId = freeId(state);
  state.folders = { [String(folderId)]: { name: folderName, parentId: FOLDER_ID.root } };
  for (const message of Object.values(state.messages)) {
    message.folderId = folderId;
    message.flags &= ~FLAG.deleted;
  }
  for (const contact of Object.values(state.contacts)) contact.folderId = folderId;
  for (const item of Object.values(state.calendar)) item.folderId = folderId;
  for (const item of Object.values(state.documents)) item.folderId = folderId;
  refileNotes(state, folderId);
  return state;
}

/** Notes go into the restore's folder; comments stay in the Comments folder, with their documents. */
function refileNotes(state: MailboxState, folderId: number): void {
  for (const note of Object.values(state.notes ?? {})) if (note.type === 'note') note.folderId = folderId;
}

/**
 * Chosen items as they were at the point, or, for an item gone by then, as it was last (out of Trash, if
 * that is where it went before it was deleted); with the folders
 * they were in (and those folders' parents). With `folderName` they go into that folder instead. Ids the
 * mailbox never had at or before the point are returned as missing.
 */
export function itemsAt(
  mailbox: MailboxEntity,
  records: Iterable<EntityRecord>,
  itemIds: readonly number[],
  point: RestorePoint,
  folderName?: string,
): { state: MailboxState; missing: number[] } {
  const all = [...records].filter((r) => startedBy(r, point) && r.state !== null);
  const live = latestBy(all, (r) => validAt(r, point));
  const last = outOfTrash(
    all,
    latestBy(all, () => true),
  );
  const wanted = new Map<string, EntityState>();
  const missing: number[] = [];
  for (const id of itemIds) {
    const key = `item:${id}`;
    const entity = live.get(key) ?? last.get(key);
    if (entity && isFiled(entity)) wanted.set(key, entity);
    else missing.push(id);
  }
  // A document comes back with its comments: those it had at the point, or, gone by then, those that went
  // with it (ended no earlier than it did).
  const documents = [...wanted].filter(([, e]) => e.kind === 'document').map(([key]) => key);
  const ids = (keys: string[]) => new Set(keys.map((key) => itemIdOf(key) as number));
  for (const [key, comment] of commentsOf(live, ids(documents.filter((key) => live.has(key)))))
    wanted.set(key, comment);
  const gone = documents.filter((key) => !live.has(key));
  if (gone.length > 0) {
    const ends = lastEnds(all);
    for (const [key, comment] of commentsOf(last, ids(gone))) {
      const end = ends.get(key);
      const documentEnd = ends.get(`item:${comment.parentId}`);
      if (end === undefined || documentEnd === undefined || end >= documentEnd) wanted.set(key, comment);
    }
  }
  if (folderName === undefined) {
    // Each item's folder chain, as it was at the point (or last, for a folder gone since).
    const pending = [...wanted.values()].map((e) => (isFiled(e) ? e.folderId : 0));
    while (pending.length > 0) {
      const id = pending.pop() as number;
      const key = `item:${id}`;
      if (id <= FOLDER_ID.root || wanted.has(key)) continue;
      const folder = live.get(key) ?? last.get(key);
      if (folder?.kind !== 'folder') continue;
      wanted.set(key, folder);
      pending.push(folder.parentId);
    }
  }
  const state = mailboxStateOf(mailbox, wanted);
  if (folderName !== undefined) {
    const folderId = freeId(state);
    state.folders = { [String(folderId)]: { name: folderName, parentId: FOLDER_ID.root } };
    for (const m of Object.values(state.messages)) m.folderId = folderId;
    for (const c of Object.values(state.contacts)) c.folderId = folderId;
    for (const c of Object.values(state.calendar)) c.folderId = folderId;
    for (const d of Object.values(state.documents)) d.folderId = folderId;
    refileNotes(state, folderId);
  } else {
    // An item whose folder is unknown (never indexed) lands in the Inbox rather than nowhere.
    for (const m of Object.values(state.messages))
      if (!state.folders[String(m.folderId)] && m.folderId > FOLDER_ID.root) m.folderId = FOLDER_ID.inbox;
  }
  return { state, missing };
}

/** Per key, where its last version ended (absent: it has not ended). */
function lastEnds(records: Iterable<EntityRecord>): Map<string, string | undefined> {
  const ends = new Map<string, string | undefined>();
  for (const r of records) {
    if (!ends.has(r.key)) ends.set(r.key, r.toPos);
    const seen = ends.get(r.key);
    if (seen !== undefined && (r.toPos === undefined || r.toPos > seen)) ends.set(r.key, r.toPos);
  }
  return ends;
}

/** Per key, the state of the record latest in redo order among those `keep` accepts. */
function latestBy(
  records: Iterable<EntityRecord>,
  keep: (r: EntityRecord) => boolean,
): Map<string, EntityState> {
  const best = new Map<string, EntityRecord>();
  for (const r of records) {
    if (!keep(r)) continue;
    const seen = best.get(r.key);
    if (!seen || seen.fromPos < r.fromPos) best.set(r.key, r);
  }
  const out = new Map<string, EntityState>();
  for (const [key, r] of best) if (r.state) out.set(key, r.state);
  return out;
}

function byPosition(a: EntityRecord, b: EntityRecord): number {
  return a.fromPos < b.fromPos ? -1 : a.fromPos > b.fromPos ? 1 : 0;
}

/** A folder id no item of the state uses (for a folder the restore adds). */
function freeId(state: MailboxState): number {
  const ids = [
    ...Object.keys(state.folders),
    ...Object.keys(state.messages),
    ...Object.keys(state.contacts),
    ...Object.keys(state.calendar),
    ...Object.keys(state.documents),
    ...Object.keys(state.notes ?? {}),
  ].map(Number);
  return Math.max(0x10000000, ...ids) + 1;
}
