import type { EntityView } from '#core/index/apply-transaction.ts';
import { type EntityState, itemKey, type NoteEntity } from '#core/index/index-entity.ts';
import { FOLDER_ID } from '#core/mail-item.ts';
import type { OpDataOf, RedoRecord } from '#core/redo/redo-record.ts';

// Notes (CreateNote, EditNote, RepositionNote: an older web client's sticky notes) and comments on Briefcase
// documents (CreateComment). Neither has a blob: the text is the item's subject column, so what the index keeps
// is what the server stored (Note.create, Comment.create), not what the record carried.

export type NoteOp =
  | OpDataOf<'CreateNote'>
  | OpDataOf<'EditNote'>
  | OpDataOf<'RepositionNote'>
  | OpDataOf<'CreateComment'>;

/** The item a note op changes. */
export function noteIdOf(data: NoteOp): number {
  return data.op === 'CreateComment' ? data.commentId : data.noteId;
}

/** DbMailItem.MAX_SUBJECT_LENGTH: the subject column keeps this many characters of a note or comment. */
const MAX_TEXT = 1024;

export function applyNoteOp(mailboxId: number, data: NoteOp, record: RedoRecord, view: EntityView): void {
  const id = noteIdOf(data);
  const key = itemKey(id);
  // The transaction's time is the item's date (Mailbox.getOperationTimestamp: seconds).
  const date = Math.floor(record.header.timestamp / 1000) * 1000;
  switch (data.op) {
    case 'CreateNote':
      view.set(mailboxId, key, {
        kind: 'note',
        type: 'note',
        folderId: data.folderId,
        flags: 0,
        tags: [],
        text: storedText(stripControlCharacters(data.content ?? '')),
        date,
        ...(data.color !== 0 ? { color: data.color } : {}),
        bounds: `${data.x},${data.y},${data.width},${data.height}`,
      });
      return;
    case 'CreateComment':
      view.set(mailboxId, key, {
        kind: 'note',
        type: 'comment',
        folderId: FOLDER_ID.comments,
        flags: 0,
        tags: [],
        text: storedText(data.text ?? ''),
        date,
        parentId: data.parentId,
        creatorId: data.creatorId ?? '',
      });
      return;
    default: {
      const note = view.get(mailboxId, key);
      if (note?.kind !== 'note' || note.type !== 'note') {
        view.warn(`${data.op} at ${record.offset}: note ${id} of mailbox ${mailboxId} is not known`);
        return;
      }
      if (data.op === 'RepositionNote') {
        view.set(mailboxId, key, { ...note, bounds: `${data.x},${data.y},${data.width},${data.height}` });
        return;
      }
      const text = storedText(stripControlCharacters(data.content ?? ''));
      // Note.setContent changes nothing, not even the date, when the text is the same.
      if (text !== note.text) view.set(mailboxId, key, { ...note, text, date });
    }
  }
}

/** Deleting a document deletes its comments (DbMailItem.accumulateComments). */
export function deleteCommentsOf(
  mailboxId: number,
  documentIds: ReadonlySet<number>,
  view: EntityView,
): void {
  if (documentIds.size === 0) return;
  for (const [key] of commentsOf([...view.list(mailboxId)], documentIds)) view.set(mailboxId, key, null);
}

/** The comments of a document, with their ids. */
export function commentsOf(
  entities: Iterable<readonly [string, EntityState]>,
  documentIds: ReadonlySet<number>,
): [string, NoteEntity][] {
  const found: [string, NoteEntity][] = [];
  for (const [key, entity] of entities)
    if (entity.kind === 'note' && entity.parentId !== undefined && documentIds.has(entity.parentId))
      found.push([key, entity]);
  return found;
}

/**
 * StringUtil.stripControlCharacters: drops C0 controls but tab, newline and return, U+FFFE and U+FFFF, and
 * surrogates without their pair.
 */
export function stripControlCharacters(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) continue;
    if (c === 0xfffe || c === 0xffff) continue;
    if (c >= 0xdc00 && c <= 0xdfff) continue;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += text.slice(i, i + 2);
        i++;
      }
      continue;
    }
    out += text.charAt(i);
  }
  return out;
}

/** DbMailItem.normalize: at most 1,024 UTF-16 units, trimmed (Java's trim: code points ≤ U+0020) when cut. */
export function storedText(text: string): string {
  if (text.length <= MAX_TEXT) return text;
  let cut = text.slice(0, MAX_TEXT);
  let start = 0;
  let end = cut.length;
  while (start < end && cut.charCodeAt(start) <= 0x20) start++;
  while (end > start && cut.charCodeAt(end - 1) <= 0x20) end--;
  cut = cut.slice(start, end);
  return cut;
}
