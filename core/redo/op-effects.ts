import { FOLDER_OPS } from '#core/index/apply-folder-op.ts';
import type { OpName } from '#core/redo/redo-record.ts';

/** Ops the index applies to a mailbox's entities (core/index/apply-transaction.ts). */
export const APPLIED_OPS: ReadonlySet<OpName> = new Set<OpName>([
  'CreateMailbox',
  'DeleteMailbox',
  'RenameMailbox',
  'CreateFolder',
  'RenameFolder',
  'CreateFolderPath',
  'RenameFolderPath',
  'RenameItem',
  'RenameItemPath',
  'SetConfig',
  'SetCustomData',
  'DeleteConfig',
  'CreateTag',
  'RenameTag',
  'StoreIncomingBlob',
  'CreateMessage',
  'SaveDraft',
  'CreateChat',
  'SaveChat',
  'CopyItem',
  'ImapCopyItem',
  'RecoverItem',
  'MoveItem',
  'DeleteItem',
  'EmptyFolder',
  'AlterItemTag',
  'SetItemTags',
  'DateItem',
  'SetCalendarItem',
  'CreateInvite',
  'ModifyInvitePartStat',
  'ICalReply',
  'SaveDocument',
  'SaveWiki',
  'AddDocumentRevision',
  'PurgeRevision',
  'CreateContact',
  'ModifyContact',
  'PurgeImapDeleted',
  'CreateNote',
  'EditNote',
  'RepositionNote',
  'CreateComment',
  ...FOLDER_OPS,
]);

/** Ops that carry nothing a restore of a mailbox needs, with the reason. */
export const NO_MAILBOX_DATA: Readonly<Partial<Record<OpName, string>>> = {
  Checkpoint: 'transaction bookkeeping',
  CommitTxn: 'transaction bookkeeping',
  AbortTxn: 'transaction bookkeeping',
  BackupMailbox: 'marks a backup the server took itself',
  ReindexMailbox: "rebuilds the server's search index",
  IndexItem: "updates the server's search index",
  IndexDeferredItems: "updates the server's search index",
  TrackSync: "a sync client's bookkeeping",
  TrackImap: "an IMAP session's bookkeeping",
  CreateVolume: "the server's storage configuration",
  ModifyVolume: "the server's storage configuration",
  DeleteVolume: "the server's storage configuration",
  SetCurrentVolume: "the server's storage configuration",
  LockItem: "a client's edit lock on a document",
  UnlockItem: "a client's edit lock on a document",
  DismissCalendarItemAlarm:
    "when the owner dismissed an alarm (a restored calendar's alarms come from its VALARMs)",
  SnoozeCalendarItemAlarm:
    "when the owner snoozed an alarm until (a restored calendar's alarms come from its VALARMs)",
  DeleteItemFromDumpster: 'the dumpster is not kept by the index (deleted items end their history instead)',
  SetImapUid:
    "IMAP UIDs renumbered for a client's cache (Mailbox.resetImapUid): a restored item gets its UID from the server it goes into, and IMAP clients resync by UIDVALIDITY",
  SetPop3Uid:
    "the remote POP3 UID of a message a data source fetched, so the next fetch skips it: the data source's bookkeeping, not the message",
  ModifyInviteFlag:
    'obsolete: nothing in the server creates it any more (only old logs hold it), and its own redo does nothing (the call is commented out in ModifyInviteFlag.redo)',
  SetSubscriptionData:
    "a subscribed folder's sync bookmark (last item date and GUID of its feed): the subscription URL is kept, and a restored folder syncs from it again",
};

/**
 * Ops whose record names what the server did but not its result, which the server computed from state the
 * redo does not carry: the index cannot apply them exactly, so the mailbox is uncertain from there until a
 * scan restates it (never a guess: a guess can drop mail the server still holds).
 */
export const RESULT_NOT_RECORDED: Readonly<Partial<Record<OpName, string>>> = {
  PurgeOldMessages:
    "a retention purge: the record carries no ids; the server chose them by the account's lifetimes, folder and tag policies and each item's change date",
  FixCalendarItemTZ:
    "the server rewrote the item's time zones; the record names the item, not the invites after",
  FixCalendarItemTimeZone:
    "the server rewrote the item's time zones; the record names the item, not the invites after",
  FixCalendarItemEndTime:
    "the server fixed the item's end time; the record names the item, not the invites after",
  FixCalendarItemPriority:
    "the server fixed the item's priority; the record names the item, not the invites after",
  CreateFileSharedWithMe:
    "a file another account shares appeared in, changed in or left 'Files shared with me' (a pointer, no bytes: the file is backed up with its owner); the record names neither the item nor which of the three happened",
};

/**
 * What the index does with an op: applies it, ignores it (no mailbox data), applies nothing and marks the
 * mailbox uncertain (the result is not in the record), or keeps it in the redo segments without applying it
 * yet: those are counted, never dropped silently.
 */
export function opEffect(op: OpName): 'applied' | 'no-mailbox-data' | 'result-not-recorded' | 'not-applied' {
  if (APPLIED_OPS.has(op)) return 'applied';
  if (RESULT_NOT_RECORDED[op] !== undefined) return 'result-not-recorded';
  return NO_MAILBOX_DATA[op] !== undefined ? 'no-mailbox-data' : 'not-applied';
}

/**
 * Ops this build reads as if it did not know them (their records reported undecoded, their mailbox uncertain).
 * Empty in every release; tests set it to play an older build, whose backups a newer one reindexes.
 */
const treatedAsUnknown = new Set<string>();

export function treatAsUnknown(ops: Iterable<OpName>): void {
  treatedAsUnknown.clear();
  for (const op of ops) treatedAsUnknown.add(op);
}

export const isTreatedAsUnknown = (op: string): boolean => treatedAsUnknown.has(op);
