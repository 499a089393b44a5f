import type { BodyRef } from '#core/redo/byte-cursor.ts';
import type { LayoutOpData } from '#core/redo/op-layouts.ts';
import type { RedoVersion } from '#core/redo/version.ts';

export type { BodyRef } from '#core/redo/byte-cursor.ts';

/** A transaction id: the server's start time in seconds and a counter. */
export interface TxnId {
  time: number;
  counter: number;
}

export function txnKey(txn: TxnId): string {
  return `${txn.time}-${txn.counter}`;
}

/** The fixed part of every record (46 bytes from version 1.26, 42 before). */
export interface RecordHeader {
  version: RedoVersion;
  opCode: number;
  timestamp: number;
  changeId: number;
  changeConstraint: number;
  txnId: TxnId;
  /** −1 = all mailboxes. */
  mailboxId: number;
}

export type NullableString = string | null;

/** Custom metadata (section key and serialized value) on folders and messages from 1.25/1.41. */
export interface CustomData {
  key: string;
  value: NullableString;
}

/** CreateMessage's message body: inline in this record (gzip when length ≠ size) or a link to a StoreIncomingBlob. */
export type MessageBody = ({ type: 'inline' } & BodyRef) | { type: 'link' };

export interface CreateMessageData {
  rcptEmail: NullableString;
  /** ≥1.4; older records use the record timestamp. */
  receivedDate: number;
  shared: boolean;
  digest: NullableString;
  size: number;
  msgId: number;
  folderId: number;
  convId: number;
  /** ≥1.5 */
  convFirstMsgId?: number;
  /** ≥1.32 */
  mergedConvIds?: number[];
  calItemId: number;
  /** ≥1.1 */
  partStat?: NullableString;
  flags: number;
  noICal: boolean;
  /** ≥1.33: tag names. */
  tags?: NullableString[] | null;
  /** before 1.33: comma-separated tag ids. */
  tagIds?: NullableString;
  path: NullableString;
  /** ≥1.25 */
  custom?: CustomData | null;
  body: MessageBody;
}

export type ContactField = [name: NullableString, value: NullableString];

/** Decoded data fields per op: the hand-decoded ones below, and every other op the server writes. */
export type OpData =
  | LayoutOpData
  | { op: 'Checkpoint'; activeTxns: TxnId[] }
  | { op: 'CommitTxn'; txnOpCode: number }
  | { op: 'AbortTxn'; txnOpCode: number }
  | { op: 'CreateMailbox'; accountId: NullableString }
  | { op: 'DeleteMailbox' }
  | { op: 'PurgeOldMessages' }
  | { op: 'PurgeImapDeleted' }
  | { op: 'RenameMailbox'; newName: NullableString; oldName?: NullableString }
  | {
      op: 'CreateFolder';
      name: NullableString;
      parentId: number;
      attrs?: number;
      view: number;
      flags: number;
      color: number;
      url: NullableString;
      folderId: number;
      uuid?: NullableString;
      date?: number | null;
      custom?: CustomData | null;
    }
  | { op: 'RenameFolder'; folderId: number; parentId: number; name: NullableString }
  | { op: 'CreateTag'; tagId: number; name: NullableString; color: number }
  | {
      op: 'MoveItem';
      ids: number[];
      itemType: number;
      destFolderId: number;
      constraint: NullableString;
      uidNext?: number;
    }
  | { op: 'DeleteItem'; ids: number[]; itemType: number; constraint: NullableString }
  | { op: 'EmptyFolder'; folderId: number; subfolders: boolean }
  | {
      op: 'AlterItemTag';
      ids: number[];
      itemType: number;
      /** ≥1.33 (flags by name, e.g. `\Flagged`) */
      tagName?: NullableString;
      /** before 1.33 */
      tagId?: number;
      tagged: boolean;
      constraint: NullableString;
    }
  | {
      op: 'SetItemTags';
      ids: number[];
      itemType: number;
      flags: number;
      /** ≥1.33 */
      tags?: NullableString[] | null;
      /** before 1.33, decimal (a 64-bit mask) */
      tagBitmask?: string;
      constraint: NullableString;
    }
  | ({ op: 'CreateMessage' } & CreateMessageData)
  | ({ op: 'SaveDraft'; imapId: number } & CreateMessageData)
  | {
      op: 'StoreIncomingBlob';
      mailboxIds: number[];
      digest: NullableString;
      path: NullableString;
      size: number;
      body: BodyRef;
    }
  | {
      op: 'CreateContact';
      contactId: number;
      folderId: number;
      tags?: NullableString[] | null;
      tagIds?: NullableString;
      fields: ContactField[];
      /** ≥1.14 */
      body?: BodyRef;
    }
  | {
      op: 'ModifyContact';
      contactId: number;
      /** before 1.14 */
      replace?: boolean;
      fields: ContactField[];
      /** ≥1.14 */
      volumeId?: number;
      body?: BodyRef;
    };

export type OpName = OpData['op'];
export type OpDataOf<N extends OpName> = Extract<OpData, { op: N }>;

/** One decoded record: where it is, its header and its data. */
export interface RedoRecord {
  /** Absolute offset of the record's first byte. */
  offset: number;
  /** Bytes from `offset` to the next record. */
  length: number;
  header: RecordHeader;
  data: OpData;
}
