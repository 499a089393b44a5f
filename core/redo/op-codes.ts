/** Zimbra's MailboxOperation codes, as written in each record header. 6 (Rollover) is never written. */
export const OP_NAMES: Readonly<Record<number, string>> = {
  1: 'Checkpoint',
  3: 'CommitTxn',
  4: 'AbortTxn',
  6: 'Rollover',
  7: 'CreateMailbox',
  8: 'DeleteMailbox',
  9: 'BackupMailbox',
  10: 'ReindexMailbox',
  11: 'PurgeOldMessages',
  12: 'CreateSavedSearch',
  13: 'ModifySavedSearch',
  14: 'CreateTag',
  15: 'RenameTag',
  16: 'ColorItem',
  17: 'IndexItem',
  18: 'AlterItemTag',
  19: 'SetItemTags',
  20: 'MoveItem',
  21: 'DeleteItem',
  22: 'CopyItem',
  23: 'CreateFolderPath',
  24: 'RenameFolderPath',
  25: 'EmptyFolder',
  26: 'StoreIncomingBlob',
  27: 'CreateMessage',
  28: 'SaveDraft',
  29: 'SetImapUid',
  30: 'CreateContact',
  31: 'ModifyContact',
  32: 'CreateNote',
  33: 'EditNote',
  34: 'RepositionNote',
  35: 'CreateMountpoint',
  36: 'ModifyInviteFlag',
  37: 'ModifyInvitePartStat',
  38: 'CreateVolume',
  39: 'ModifyVolume',
  40: 'DeleteVolume',
  41: 'SetCurrentVolume',
  42: 'MoveBlobs',
  43: 'CreateInvite',
  44: 'SetCalendarItem',
  45: 'TrackSync',
  46: 'SetConfig',
  47: 'GrantAccess',
  48: 'RevokeAccess',
  49: 'SetFolderUrl',
  50: 'SetSubscriptionData',
  51: 'SetPermissions',
  52: 'SaveWiki',
  53: 'SaveDocument',
  54: 'AddDocumentRevision',
  55: 'TrackImap',
  56: 'ImapCopyItem',
  57: 'ICalReply',
  58: 'CreateFolder',
  59: 'RenameFolder',
  60: 'FixCalendarItemTimeZone',
  61: 'RenameItem',
  62: 'RenameItemPath',
  63: 'CreateChat',
  64: 'SaveChat',
  65: 'PurgeImapDeleted',
  66: 'DismissCalendarItemAlarm',
  67: 'FixCalendarItemEndTime',
  68: 'IndexDeferredItems',
  69: 'RenameMailbox',
  70: 'FixCalendarItemTZ',
  71: 'DateItem',
  72: 'SetFolderDefaultView',
  73: 'SetCustomData',
  74: 'LockItem',
  75: 'UnlockItem',
  76: 'PurgeRevision',
  77: 'DeleteItemFromDumpster',
  78: 'FixCalendarItemPriority',
  79: 'RecoverItem',
  80: 'EnableSharedReminder',
  81: 'Download',
  82: 'Preview',
  83: 'SnoozeCalendarItemAlarm',
  84: 'CreateComment',
  85: 'CreateLink',
  86: 'SetRetentionPolicy',
  87: 'Watch',
  88: 'Unwatch',
  89: 'RefreshMountpoint',
  90: 'ExpireAccess',
  91: 'SetDisableActiveSync',
  92: 'SetWebOfflineSyncDays',
  93: 'DeleteConfig',
  94: 'View',
  95: 'SetPop3Uid',
};

/**
 * Codes with a name but no redo op class in any release (audit-only or internal operations): no server
 * writes them to a redo log, and the server's own reader could not read one back.
 */
export const NEVER_WRITTEN: ReadonlySet<number> = new Set([6, 42, 81, 82, 87, 88, 94]);

/**
 * Ops written under another op's code: CreateFileSharedWithMe (a Briefcase pointer to a file another account
 * shares) carries CreateMountpoint's 35 with data of its own (decode-record.ts tells them apart).
 */
export const SHARED_CODE_OPS: Readonly<Record<string, number>> = { CreateFileSharedWithMe: 35 };

const CODE_OF = new Map([
  ...Object.entries(OP_NAMES).map(([code, name]) => [name, Number(code)] as const),
  ...Object.entries(SHARED_CODE_OPS),
]);

/** The op code of an op name (`CopyItem` → 22). */
export function opCodeOf(name: string): number | undefined {
  return CODE_OF.get(name);
}

/** The ops decoded by hand in decode-record.ts (every other op the server writes has a layout in op-layouts.ts). */
export const OP = {
  Checkpoint: 1,
  CommitTxn: 3,
  AbortTxn: 4,
  CreateMailbox: 7,
  DeleteMailbox: 8,
  PurgeOldMessages: 11,
  CreateTag: 14,
  AlterItemTag: 18,
  SetItemTags: 19,
  MoveItem: 20,
  DeleteItem: 21,
  EmptyFolder: 25,
  StoreIncomingBlob: 26,
  CreateMessage: 27,
  SaveDraft: 28,
  CreateContact: 30,
  ModifyContact: 31,
  CreateFolder: 58,
  RenameFolder: 59,
  PurgeImapDeleted: 65,
  RenameMailbox: 69,
} as const;

export type ModelledOpName = keyof typeof OP;

export function opName(code: number): string {
  return OP_NAMES[code] ?? `Unknown(${code})`;
}

/** A code a real server can write. */
export function isKnownOpCode(code: number): boolean {
  return OP_NAMES[code] !== undefined && !NEVER_WRITTEN.has(code);
}

/** Checkpoint, CommitTxn and AbortTxn manage transactions; every other op opens one. */
export function isControlOp(code: number): boolean {
  return code === OP.Checkpoint || code === OP.CommitTxn || code === OP.AbortTxn;
}
