// The data fields of every op the server can write beyond the hand-decoded ones in decode-record.ts, field
// by field with every version branch of the op's serializeData/deserializeData in the public server source
// (store/src/java/com/zimbra/cs/redolog/op/). Records carry no length: without an exact layout a record's
// end would be a guess, and a guess can be steered by user data (a Briefcase file holding record bytes).
import type { ByteCursor } from '#core/redo/byte-cursor.ts';
import type { ByteWriter } from '#core/redo/byte-writer.ts';
import {
  bool,
  bytes,
  byVersion,
  color,
  customData,
  type FieldCodec,
  i8,
  i16,
  i32,
  i32Array,
  i64,
  i64Text,
  list,
  nullableList,
  optional,
  presentSince,
  record,
  reserved,
  since,
  str,
  strArray,
} from '#core/redo/field-codecs.ts';
import { decodeMessageFields, encodeMessageFields } from '#core/redo/message-fields.ts';
import type { CreateMessageData } from '#core/redo/redo-record.ts';
import type { RedoVersion } from '#core/redo/version.ts';

const messageFields: FieldCodec<CreateMessageData> = {
  read: (c, v, h) => decodeMessageFields(c, v, h, {}),
  write: (w, v, x) => encodeMessageFields(w, v, x),
};

/** Ids written the old way (one id in the first int) or the current way (−1 there, a list later). */
function legacyIds<T extends object>(middle: FieldCodec<T>): FieldCodec<T & { ids: number[] }> {
  return {
    read: (c, v, h) => {
      const legacy = c.i32();
      const fields = middle.read(c, v, h);
      return { ...fields, ids: legacy > 0 ? [legacy] : c.i32Array() };
    },
    write: (w, v, x) => {
      w.i32(-1);
      middle.write(w, v, x);
      i32Array.write(w, v, x.ids);
    },
  };
}

interface Copy {
  sourceId: number;
  newId: number;
  uuid?: string | null;
}

/** CopyItem and RecoverItem: an old single source/destination pair, or (−1, −1) and a list. */
const copyItem: FieldCodec<{
  itemType: number;
  destFolderId: number;
  copies: Copy[];
  fromDumpster?: boolean;
}> = {
  read: (c, v, h) => {
    const sourceId = c.i32();
    const newId = c.i32();
    const itemType = c.i8();
    const destFolderId = c.i32();
    c.i16();
    const copies: Copy[] = sourceId > 0 && newId > 0 ? [{ sourceId, newId }] : copyList.read(c, v, h);
    const fromDumpster = since(1, 30, bool).read(c, v, h);
    return { itemType, destFolderId, copies, ...(fromDumpster === undefined ? {} : { fromDumpster }) };
  },
  write: (w, v, x) => {
    w.i32(-1);
    w.i32(-1);
    w.i8(x.itemType);
    w.i32(x.destFolderId);
    w.i16(-1);
    copyList.write(w, v, x.copies);
    since(1, 30, bool).write(w, v, x.fromDumpster);
  },
};
const copyList = list(record(['sourceId', i32], ['newId', i32], ['uuid', since(1, 37, str)]));

/** IndexDeferredItems: a count, the ids, then the types (two parallel arrays). */
const deferredItems: FieldCodec<{ items: { id: number; itemType: number }[] }> = {
  read: (c: ByteCursor) => {
    const at = c.pos;
    const n = c.count(c.i32(), at);
    const ids: number[] = [];
    for (let i = 0; i < n; i++) ids.push(c.i32());
    return { items: ids.map((id) => ({ id, itemType: c.i8() })) };
  },
  write: (w: ByteWriter, _v: RedoVersion, x) => {
    w.i32(x.items.length);
    for (const item of x.items) w.i32(item.id);
    for (const item of x.items) w.i8(item.itemType);
  },
};

/** An invite as the server serializes it: its local time zone and the invite, both as Zimbra metadata. */
const inviteEntries = [
  ['timezone', str],
  ['invite', str],
] as const;

/** One invite of a calendar item with its MIME message (blobless appointments have none from 1.24). */
const calendarItemData = record(reserved(bool, true), ...inviteEntries, [
  'message',
  presentSince(1, 24, record(['receivedDate', i64], ['mime', bytes])),
]);

const documentEntries = [
  ['filename', str],
  ['mimeType', str],
  ['author', str],
  ['itemType', i8],
  ['description', since(1, 29, str)],
  ['descriptionEnabled', since(1, 31, bool)],
  ['uuid', since(1, 37, str)],
  messageFields,
] as const;

const policy = record(['id', str], ['lifetime', str]);
const revokeAccess = record(['folderId', i32], ['grantee', str], ['dueToExpiry', since(1, 39, bool)]);
const lockItem = record(['itemType', i8], ['accountId', str], ['itemId', i32]);
const bounds = [
  ['x', i32],
  ['y', i32],
  ['width', i32],
  ['height', i32],
] as const;
const volumeEntries = [
  ['volumeId', i16],
  ['volumeType', i16],
  ['name', str],
  ['rootPath', str],
  ['mboxGroupBits', i16],
  ['mboxBits', i16],
  ['fileGroupBits', i16],
  ['fileBits', i16],
] as const;

/** Layouts by op name; the op code is the name's in OP_NAMES (or SHARED_CODE_OPS, for an op written under another's code). */
export const OP_LAYOUTS = {
  BackupMailbox: record(['backupSetTime', i64], ['startTime', i64], ['endTime', i64], ['label', str]),
  ReindexMailbox: record(
    ['completionId', since(1, 9, i32)],
    ['itemTypes', since(1, 9, optional(list(i8)))],
    ['itemIds', since(1, 10, optional(list(i32)))],
    ['skipDelete', since(1, 20, bool)],
  ),
  CreateSavedSearch: record(
    ['searchId', i32],
    ['uuid', since(1, 37, str)],
    ['name', str],
    ['query', str],
    ['types', str],
    ['sort', str],
    ['folderId', i32],
    ['flags', since(1, 28, i32)],
    ['color', color],
  ),
  ModifySavedSearch: record(['searchId', i32], ['query', str], ['types', str], ['sort', str]),
  RenameTag: record(['tagId', i32], ['name', str]),
  ColorItem: legacyIds(record(['itemType', i8], ['color', color])),
  IndexItem: record(['itemId', i32], ['itemType', i8], ['deleteFirst', since(1, 8, bool)]),
  CopyItem: copyItem,
  CreateFolderPath: record(
    ['path', str],
    ['attrs', i8],
    ['view', i8],
    ['flags', i32],
    ['color', color],
    ['url', str],
    ['date', since(1, 41, optional(i64))],
    ['custom', since(1, 41, customData)],
    ['folders', list(record(['id', i32], ['uuid', since(1, 37, str)]))],
  ),
  RenameFolderPath: record(['folderId', i32], ['path', str], ['parentIds', i32Array]),
  SetImapUid: record(['uids', list(record(['itemId', i32], ['uid', i32]))]),
  CreateNote: record(
    ['noteId', i32],
    ['folderId', i32],
    reserved(i16, -1),
    ['content', str],
    ['color', color],
    ...bounds,
  ),
  EditNote: record(['noteId', i32], ['content', str]),
  RepositionNote: record(['noteId', i32], ...bounds),
  /**
   * Written under CreateMountpoint's code for a file shared with the account, and again (all but remoteUuid
   * empty) when it is updated or removed; its item id is never set (0). As `serializeData` writes it (the
   * server's own `deserializeData` reads the fields in another order).
   */
  CreateFileSharedWithMe: record(
    ['id', i32],
    ['uuid', str],
    ['name', str],
    ['ownerId', str],
    ['remoteId', i32],
    ['remoteUuid', str],
    ['folderId', i32],
    ['ownerName', str],
    ['contentType', str],
    ['rights', str],
  ),
  CreateMountpoint: record(
    ['mountpointId', i32],
    ['uuid', since(1, 37, str)],
    ['name', str],
    ['ownerId', str],
    ['remoteId', i32],
    ['remoteUuid', since(1, 38, str)],
    ['folderId', i32],
    ['view', i8],
    ['flags', i32],
    ['color', color],
    ['reminderEnabled', since(1, 33, bool)],
  ),
  ModifyInviteFlag: record(['calItemId', i32], ['componentNum', i32], ['flag', i32], ['add', bool]),
  ModifyInvitePartStat: record(
    ['calItemId', i32],
    ['recurrence', optional(record(['range', i32], ['recurrenceId', str]))],
    ['cn', str],
    ['address', str],
    ['cuType', str],
    ['role', str],
    ['partStat', str],
    ['rsvp', bool],
    ['sequence', i32],
    ['dtStamp', i64],
  ),
  CreateVolume: record(...volumeEntries, ['compressBlobs', bool], ['storeType', i16], ['storeManager', str]),
  ModifyVolume: record(...volumeEntries),
  DeleteVolume: record(['volumeId', i16]),
  SetCurrentVolume: record(['volumeType', i16], ['volumeId', i16]),
  CreateInvite: record(
    ['calItemId', i32],
    ['partStat', since(1, 1, str)],
    ['folderId', i32],
    reserved(i16, -1),
    reserved(bool, true),
    ['data', bytes],
    ...inviteEntries,
    ['preserveExistingAlarms', since(1, 22, bool)],
    ['discardExistingInvites', since(1, 22, bool)],
    ['addRevision', since(1, 23, bool)],
  ),
  SetCalendarItem: record(
    ['folderId', i32],
    reserved(i16, -1),
    ['calItemId', i32],
    ['partStat', since(1, 1, str)],
    ['attachmentIndexing', since(1, 2, bool)],
    ['flags', since(1, 11, i32)],
    ['tags', since(1, 11, byVersion(1, 33, strArray, i64Text))],
    ['defaultInvite', presentSince(1, 17, calendarItemData)],
    ['exceptions', list(calendarItemData)],
    ['replies', since(1, 15, nullableList(str))],
    ['nextAlarm', since(1, 21, i64)],
  ),
  TrackSync: record(),
  SetConfig: record(['section', str], ['config', str]),
  GrantAccess: record(
    ['folderId', i32],
    ['grantee', str],
    ['granteeType', i8],
    ['rights', i16],
    reserved(bool, true),
    ['password', since(1, 2, str)],
    ['expiry', since(1, 36, i64)],
  ),
  RevokeAccess: revokeAccess,
  SetFolderUrl: record(['folderId', i32], ['url', str]),
  SetSubscriptionData: record(['folderId', i32], ['lastItemDate', i64], ['lastItemGuid', str]),
  SetPermissions: record(['folderId', i32], ['acl', str]),
  SaveWiki: record(['wikiword', str], ...documentEntries),
  SaveDocument: record(...documentEntries),
  AddDocumentRevision: record(['docId', i32], ...documentEntries),
  TrackImap: record(),
  ImapCopyItem: record(['itemType', i8], ['destFolderId', i32], reserved(i16, -1), [
    'copies',
    list(record(['sourceId', i32], ['newId', i32], reserved(i32, -1), ['uuid', since(1, 37, str)])),
  ]),
  ICalReply: record(...inviteEntries, ['sender', str]),
  FixCalendarItemTimeZone: record(['calItemId', i32], ['after', i64], ['country', str]),
  RenameItem: record(
    ['itemId', i32],
    ['folderId', i32],
    ['name', str],
    ['itemType', i8],
    ['date', since(1, 40, optional(i64))],
  ),
  RenameItemPath: record(
    ['itemId', i32],
    ['path', str],
    ['parents', list(record(['id', i32], ['uuid', since(1, 37, str)]))],
    ['itemType', i8],
  ),
  CreateChat: record(messageFields),
  SaveChat: record(['imapId', i32], messageFields),
  DismissCalendarItemAlarm: record(['calItemId', i32], ['dismissedAt', i64]),
  FixCalendarItemEndTime: record(['calItemId', i32]),
  IndexDeferredItems: deferredItems,
  FixCalendarItemTZ: record(
    ['calItemId', i32],
    ['replacements', list(record(['tzid', str], ['timezone', str]))],
  ),
  DateItem: record(['itemId', i32], ['itemType', i8], ['date', i64]),
  SetFolderDefaultView: record(['folderId', i32], ['view', i8]),
  SetCustomData: record(['itemId', i32], ['itemType', i8], ['custom', customData]),
  LockItem: lockItem,
  UnlockItem: lockItem,
  PurgeRevision: record(['itemId', i32], ['revision', i32], ['includeOlder', bool]),
  DeleteItemFromDumpster: record(['ids', i32Array]),
  FixCalendarItemPriority: record(['calItemId', i32]),
  RecoverItem: copyItem,
  EnableSharedReminder: record(['mountpointId', i32], ['enabled', bool]),
  SnoozeCalendarItemAlarm: record(['calItemId', i32], ['snoozeUntil', i64]),
  CreateComment: record(
    ['commentId', i32],
    ['uuid', since(1, 37, str)],
    ['parentId', i32],
    ['creatorId', str],
    ['text', str],
  ),
  CreateLink: record(
    ['linkId', i32],
    ['uuid', since(1, 37, str)],
    ['name', str],
    ['ownerId', str],
    ['remoteId', i32],
    ['folderId', i32],
  ),
  SetRetentionPolicy: record(
    ['itemType', i8],
    ['itemId', i32],
    ['keep', list(policy)],
    ['purge', list(policy)],
  ),
  RefreshMountpoint: record(['mountpointId', i32], ['ownerId', str], ['remoteId', i32]),
  /** RevokeAccess written with dueToExpiry: the same layout under its own code. */
  ExpireAccess: revokeAccess,
  SetDisableActiveSync: record(['folderId', i32], ['disabled', bool]),
  SetWebOfflineSyncDays: record(['folderId', i32], ['days', i32]),
  DeleteConfig: record(['section', str]),
  SetPop3Uid: record(['itemId', i32], ['itemType', i8], ['uid', str]),
} as const;

export type LayoutOpName = keyof typeof OP_LAYOUTS;
type LayoutValue<N extends LayoutOpName> = (typeof OP_LAYOUTS)[N] extends FieldCodec<infer T> ? T : never;
/** Decoded data of the ops described here. */
export type LayoutOpData = { [N in LayoutOpName]: { op: N } & LayoutValue<N> }[LayoutOpName];
