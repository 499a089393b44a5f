import { ITEM_TYPE } from '#core/mail-item.ts';

// The `.meta` entry Zimbra's archive formatter writes before each item of a `?fmt=tgz` archive and reads on
// import (com.zimbra.cs.service.util.ItemData): a JSON object of the item's row (UnderlyingData) plus its
// flags as letters, its tag names and its path. Import requires id, type, parent_id, folder_id, imap_id,
// date, size, unread, flags, mod_metadata, change_date, mod_content and Ver (JSONObject.getInt); the rest is
// optional. Dates are seconds; `metadata` is the item's metadata column (Zimbra's bencoding).

/** ItemData's format version: Metadata.LEGACY_METADATA_VERSION (import refuses anything newer). */
export const ITEM_DATA_VERSION = 10;

/** MailItem.Type names as Type.toString() writes them (the tar entries' group name). */
export const ITEM_TYPE_NAME: Readonly<Record<number, string>> = {
  [ITEM_TYPE.folder]: 'folder',
  [ITEM_TYPE.searchFolder]: 'searchfolder',
  [ITEM_TYPE.tag]: 'tag',
  [ITEM_TYPE.message]: 'message',
  [ITEM_TYPE.contact]: 'contact',
  [ITEM_TYPE.document]: 'document',
  [ITEM_TYPE.note]: 'note',
  [ITEM_TYPE.appointment]: 'appointment',
  [ITEM_TYPE.mountpoint]: 'mountpoint',
  [ITEM_TYPE.wiki]: 'wiki',
  [ITEM_TYPE.task]: 'task',
};

export interface ItemData {
  id: number;
  type: number;
  parentId: number;
  folderId: number;
  /** Milliseconds (written as seconds, as the row keeps it). */
  date: number;
  size: number;
  /** Zimbra's blob digest; set for items with a body entry (import then requires the entry, of `size`). */
  blobDigest?: string;
  unread: boolean;
  /** The flag bits without \Unread (kept apart, as the row keeps it). */
  flags: number;
  subject?: string;
  name?: string;
  metadata: string;
  /** The item's path: its folder's path and its name (`/Inbox/` for a message, which has no name). */
  path: string;
  tags: readonly string[];
}

/**
 * Flag.FlagInfo's letters with their flag id, in the enum's declaration order (Flag.toString walks it; Muted,
 * -19, is declared after Versioned). Hidden flags (Copied, IdxDeferred, InDumpster, Uncached) have none.
 */
const FLAG_LETTERS: readonly [id: number, letter: string][] = [
  [-1, 's'],
  [-2, 'a'],
  [-3, 'r'],
  [-4, 'w'],
  [-6, 'f'],
  [-7, 'd'],
  [-8, 'x'],
  [-9, 'n'],
  [-10, 'u'],
  [-11, '!'],
  [-12, '?'],
  [-13, '/'],
  [-19, '('],
  [-15, 'p'],
  [-16, 't'],
  [-17, '+'],
  [-18, '^'],
  [-20, '*'],
  [-21, 'b'],
  [-22, '#'],
  [-23, 'i'],
  [-24, 'v'],
  [-25, 'y'],
  [-26, '~'],
  [-27, 'o'],
  [-28, '@'],
  [-29, 'g'],
];

/** Flag.toString: the letters of the set flags (bit = 1 << (-id - 1)). */
export function flagLetters(bits: number): string {
  return FLAG_LETTERS.filter(([id]) => bits & (1 << (-id - 1)))
    .map(([, letter]) => letter)
    .join('');
}

/**
 * ItemData.getTagString: tag names joined by `:`, each `\\` and `:` escaped with a backslash. The import's
 * getTagNames takes a string without `:` as one tag without unescaping it, so a lone tag is written as is
 * unless it holds a `:` (then the escapes are read back).
 */
export function tagString(tags: readonly string[]): string {
  const [only] = tags;
  if (tags.length === 1 && only !== undefined && !only.includes(':')) return only;
  return tags.map((t) => t.replaceAll('\\', '\\\\').replaceAll(':', '\\:')).join(':');
}

/** The item's `.meta` bytes: ItemData.encode() (the key order of Zimbra's Keys enum; JSON does not care). */
export function encodeItemData(d: ItemData): Buffer {
  const unreadBit = 1 << 9;
  const seconds = Math.floor(d.date / 1000);
  const json: Record<string, string | number> = {
    id: d.id,
    type: d.type,
    parent_id: d.parentId,
    folder_id: d.folderId,
    index_id: 0,
    imap_id: d.type === ITEM_TYPE.message ? d.id : 0,
    date: seconds,
    size: d.size,
    volume_id: 0,
    ...(d.blobDigest ? { blob_digest: d.blobDigest } : {}),
    unread: d.unread ? 1 : 0,
    flags: d.flags & ~unreadBit,
    ...(d.subject ? { subject: d.subject } : {}),
    ...(d.name ? { name: d.name } : {}),
    ...(d.metadata ? { metadata: d.metadata } : {}),
    mod_metadata: 0,
    change_date: seconds,
    mod_content: 0,
    FlagStr: flagLetters((d.flags & ~unreadBit) | (d.unread ? unreadBit : 0)),
    Path: d.path,
    ...(d.tags.length > 0 ? { TagNames: tagString(d.tags) } : {}),
    Ver: ITEM_DATA_VERSION,
  };
  return Buffer.from(JSON.stringify(json), 'utf8');
}
