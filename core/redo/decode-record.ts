import type { ByteCursor } from '#core/redo/byte-cursor.ts';
import { RedoFormatError } from '#core/redo/errors.ts';
import type { FieldCodec } from '#core/redo/field-codecs.ts';
import { decodeCustom, decodeMessageFields } from '#core/redo/message-fields.ts';
import { OP, OP_NAMES, SHARED_CODE_OPS } from '#core/redo/op-codes.ts';
import { type LayoutOpName, OP_LAYOUTS } from '#core/redo/op-layouts.ts';
import type { ContactField, OpData, RecordHeader, TxnId } from '#core/redo/redo-record.ts';
import { atLeast, formatVersion, isTooHigh, LATEST_VERSION, type RedoVersion } from '#core/redo/version.ts';

export const RECORD_MAGIC = 'ZMREDO';
const MAGIC_BYTES = Buffer.from(RECORD_MAGIC, 'latin1');
// The magic read as two big-endian numbers: two loads per record instead of six byte compares.
const MAGIC_HEAD = MAGIC_BYTES.readInt32BE(0);
const MAGIC_TAIL = MAGIC_BYTES.readInt16BE(4);

/** One object per version met (records of a log share a handful): a record costs no version object. */
const VERSIONS = new Map<number, RedoVersion>();
let lastVersion: RedoVersion = LATEST_VERSION;

/** Reads the record magic and version at the cursor; the version must be one a release writes. */
export function readRecordVersion(c: ByteCursor): RedoVersion {
  const start = c.pos;
  if (c.i32() !== MAGIC_HEAD || c.i16() !== MAGIC_TAIL) {
    throw new RedoFormatError('no record magic "ZMREDO"', start);
  }
  const major = c.i16();
  const minor = c.i16();
  if (lastVersion.major === major && lastVersion.minor === minor) return lastVersion;
  const key = major * 0x10000 + minor;
  const known = VERSIONS.get(key);
  if (known) {
    lastVersion = known;
    return known;
  }
  const version = Object.freeze({ major, minor });
  if (major < 0 || minor < 0 || isTooHigh(version)) {
    throw new RedoFormatError(`record version ${formatVersion(version)} is unknown`, start + 6);
  }
  VERSIONS.set(key, version);
  lastVersion = version;
  return version;
}

/**
 * Moves past the rest of a record header (after `readRecordVersion`) with the checks `decodeRecordHeader`
 * makes, building nothing; returns the op code.
 */
export function skipRecordHeader(c: ByteCursor, version: RedoVersion): number {
  const opCode = c.i32();
  c.i64(); // timestamp
  c.skip(16); // change id, change constraint, transaction id (two ints)
  if (atLeast(version, 1, 26)) c.i64();
  else c.skip(4);
  return opCode;
}

/** Reads and validates a record header at the cursor. */
export function decodeRecordHeader(c: ByteCursor): RecordHeader {
  return decodeHeaderAfterVersion(c, readRecordVersion(c));
}

/**
 * The header of a record the reader has already measured (`skipRecordHeader` checked every field), read
 * straight from its bytes at `at` (the record's first byte within `view`).
 */
export function checkedRecordHeader(view: DataView, at: number, version: RedoVersion): RecordHeader {
  return {
    version,
    opCode: view.getInt32(at + 10),
    timestamp: view.getInt32(at + 14) * 0x1_0000_0000 + view.getUint32(at + 18),
    changeId: view.getInt32(at + 22),
    changeConstraint: view.getInt32(at + 26),
    txnId: { time: view.getInt32(at + 30), counter: view.getInt32(at + 34) },
    mailboxId: atLeast(version, 1, 26)
      ? view.getInt32(at + 38) * 0x1_0000_0000 + view.getUint32(at + 42)
      : view.getInt32(at + 38),
  };
}

/** Offset of the op code in a record: after the magic and the version, which `readRecordVersion` reads. */
export const OP_CODE_OFFSET = 10;

/** The rest of a record header, the cursor at its op code (`OP_CODE_OFFSET`) and its version known. */
export function decodeHeaderAfterVersion(c: ByteCursor, version: RedoVersion): RecordHeader {
  // An op code no release writes still has this header: its record is reported (with its mailbox) and
  // skipped by the reader, never taken for corruption.
  const opCode = c.i32();
  const timestamp = c.i64();
  const changeId = c.i32();
  const changeConstraint = c.i32();
  const txnId = { time: c.i32(), counter: c.i32() };
  const mailboxId = atLeast(version, 1, 26) ? c.i64() : c.i32();
  return { version, opCode, timestamp, changeId, changeConstraint, txnId, mailboxId };
}

type Decoder = (c: ByteCursor, v: RedoVersion, header: RecordHeader) => OpData;

/** Data decoders for the modelled ops; any other op code has no entry (its end cannot be found). */
const DECODERS: Record<number, Decoder> = {
  [OP.Checkpoint]: (c) => {
    const at = c.pos;
    const n = c.count(c.i32(), at);
    const activeTxns: TxnId[] = [];
    for (let i = 0; i < n; i++) activeTxns.push({ time: c.i32(), counter: c.i32() });
    return { op: 'Checkpoint', activeTxns };
  },
  [OP.CommitTxn]: (c) => ({ op: 'CommitTxn', txnOpCode: c.i32() }),
  [OP.AbortTxn]: (c) => ({ op: 'AbortTxn', txnOpCode: c.i32() }),
  [OP.CreateMailbox]: (c) => ({ op: 'CreateMailbox', accountId: c.str() }),
  [OP.DeleteMailbox]: () => ({ op: 'DeleteMailbox' }),
  [OP.PurgeOldMessages]: () => ({ op: 'PurgeOldMessages' }),
  [OP.PurgeImapDeleted]: () => ({ op: 'PurgeImapDeleted' }),
  [OP.RenameMailbox]: (c, v) => {
    const newName = c.str();
    return atLeast(v, 1, 25)
      ? { op: 'RenameMailbox', newName, oldName: c.str() }
      : { op: 'RenameMailbox', newName };
  },
  // A CreateFileSharedWithMe record carries this code too: the server never sets its item id (0), while a
  // mountpoint's record holds the id it was given (never 0). The id alone decides, not where the data ends.
  [SHARED_CODE_OPS.CreateFileSharedWithMe as number]: (c, v, h) => {
    const at = c.pos;
    const id = c.i32();
    c.pos = at;
    const name = id === 0 ? 'CreateFileSharedWithMe' : 'CreateMountpoint';
    return { op: name, ...(OP_LAYOUTS[name] as FieldCodec<object>).read(c, v, h) } as OpData;
  },
  [OP.CreateFolder]: (c, v) => {
    const name = c.str();
    const parentId = c.i32();
    const attrs = atLeast(v, 1, 19) ? c.i8() : undefined;
    const view = c.i8();
    const flags = c.i32();
    const color = atLeast(v, 1, 27) ? c.i64() : c.i8();
    const url = c.str();
    const folderId = c.i32();
    const data: OpData = { op: 'CreateFolder', name, parentId, view, flags, color, url, folderId };
    if (attrs !== undefined) data.attrs = attrs;
    if (atLeast(v, 1, 37)) data.uuid = c.str();
    if (atLeast(v, 1, 39)) {
      data.date = c.bool() ? (atLeast(v, 1, 40) ? c.i64() : c.i32() * 1000) : null;
    }
    if (atLeast(v, 1, 41)) data.custom = decodeCustom(c);
    return data;
  },
  [OP.RenameFolder]: (c) => ({ op: 'RenameFolder', folderId: c.i32(), parentId: c.i32(), name: c.str() }),
  [OP.CreateTag]: (c, v) => ({
    op: 'CreateTag',
    tagId: c.i32(),
    name: c.str(),
    color: atLeast(v, 1, 27) ? c.i64() : c.i8(),
  }),
  [OP.MoveItem]: (c, v) => {
    const legacyId = c.i32();
    const itemType = c.i8();
    const destFolderId = c.i32();
    const constraint = optionalConstraint(c);
    const ids = itemIds(c, legacyId);
    const data: OpData = { op: 'MoveItem', ids, itemType, destFolderId, constraint };
    if (atLeast(v, 1, 16)) data.uidNext = c.i32();
    return data;
  },
  [OP.DeleteItem]: (c) => {
    const legacyId = c.i32();
    const itemType = c.i8();
    const constraint = optionalConstraint(c);
    return { op: 'DeleteItem', ids: itemIds(c, legacyId), itemType, constraint };
  },
  [OP.EmptyFolder]: (c) => ({ op: 'EmptyFolder', folderId: c.i32(), subfolders: c.bool() }),
  [OP.AlterItemTag]: (c, v) => {
    const legacyId = c.i32();
    const itemType = c.i8();
    const tag = atLeast(v, 1, 33) ? { tagName: c.str() } : { tagId: c.i32() };
    const tagged = c.bool();
    const constraint = optionalConstraint(c);
    return { op: 'AlterItemTag', ids: itemIds(c, legacyId), itemType, ...tag, tagged, constraint };
  },
  [OP.SetItemTags]: (c, v) => {
    const legacyId = c.i32();
    const itemType = c.i8();
    const flags = c.i32();
    const tags = atLeast(v, 1, 33) ? { tags: c.strArray() } : { tagBitmask: c.i64Exact().toString() };
    const constraint = optionalConstraint(c);
    return { op: 'SetItemTags', ids: itemIds(c, legacyId), itemType, flags, ...tags, constraint };
  },
  [OP.CreateMessage]: (c, v, h) => decodeMessageFields(c, v, h, { op: 'CreateMessage' as const }),
  [OP.SaveDraft]: (c, v, h) => {
    const imapId = c.i32();
    return decodeMessageFields(c, v, h, { op: 'SaveDraft' as const, imapId });
  },
  [OP.StoreIncomingBlob]: (c, v) => {
    const at = c.pos;
    const n = c.count(c.i32(), at);
    const mailboxIds: number[] = [];
    for (let i = 0; i < n; i++) mailboxIds.push(atLeast(v, 1, 26) ? c.i64() : c.i32());
    const digest = c.str();
    const path = c.str();
    c.i16();
    const size = c.i32();
    const lengthAt = c.pos;
    const body = c.body(c.i32(), lengthAt);
    return { op: 'StoreIncomingBlob', mailboxIds, digest, path, size, body };
  },
  [OP.CreateContact]: (c, v) => {
    const contactId = c.i32();
    const folderId = c.i32();
    c.i16();
    const tags = atLeast(v, 1, 33) ? { tags: c.strArray() } : { tagIds: c.str() };
    const fields = contactFields(c);
    const data: OpData = { op: 'CreateContact', contactId, folderId, ...tags, fields };
    if (atLeast(v, 1, 14)) {
      const lengthAt = c.pos;
      data.body = c.body(c.i32(), lengthAt);
    }
    return data;
  },
  [OP.ModifyContact]: (c, v) => {
    const contactId = c.i32();
    if (!atLeast(v, 1, 14)) {
      const replace = c.bool();
      return { op: 'ModifyContact', contactId, replace, fields: contactFields(c) };
    }
    const fields = contactFields(c);
    const volumeId = c.i16();
    const lengthAt = c.pos;
    return { op: 'ModifyContact', contactId, fields, volumeId, body: c.body(c.i32(), lengthAt) };
  },
};

/** The layout of an op code beyond the hand-decoded ones, if it has one. */
function layoutOf(opCode: number): { name: LayoutOpName; codec: FieldCodec<object> } | undefined {
  const name = OP_NAMES[opCode];
  if (name === undefined || !Object.hasOwn(OP_LAYOUTS, name)) return undefined;
  return { name: name as LayoutOpName, codec: OP_LAYOUTS[name as LayoutOpName] as FieldCodec<object> };
}

/** Decoders see this header while measuring: a skipping cursor builds no value from it. */
const NO_HEADER: RecordHeader = Object.freeze({
  version: LATEST_VERSION,
  opCode: 0,
  timestamp: 0,
  changeId: 0,
  changeConstraint: 0,
  txnId: Object.freeze({ time: 0, counter: 0 }),
  mailboxId: 0,
});

/**
 * Moves a skipping cursor past the data of an op, with every check a decode makes; false for a code no
 * release writes (its end cannot be found).
 */
export function skipOpData(c: ByteCursor, version: RedoVersion, opCode: number): boolean {
  const decoder = DECODERS[opCode];
  if (decoder) {
    decoder(c, version, NO_HEADER);
    return true;
  }
  const layout = layoutOf(opCode);
  layout?.codec.read(c, version, NO_HEADER);
  return layout !== undefined;
}

/** Decodes the data of an op; undefined for a code no release writes (its end cannot be found). */
export function decodeOpData(c: ByteCursor, header: RecordHeader): OpData | undefined {
  const decoder = DECODERS[header.opCode];
  if (decoder) return decoder(c, header.version, header);
  const layout = layoutOf(header.opCode);
  if (!layout) return undefined;
  return { op: layout.name, ...layout.codec.read(c, header.version, header) } as OpData;
}

function optionalConstraint(c: ByteCursor): string | null {
  return c.bool() ? c.str() : null;
}

/** Old writers put one id in `legacyId`; current ones put −1 there and a list after. */
function itemIds(c: ByteCursor, legacyId: number): number[] {
  return legacyId > 0 ? [legacyId] : c.i32Array();
}

const NO_FIELDS: readonly ContactField[] = Object.freeze([]);

function contactFields(c: ByteCursor): ContactField[] {
  const at = c.pos;
  const n = c.i16();
  // A negative count reads as "no fields" in the server (its loop does not run).
  const count = c.count(Math.max(n, 0), at);
  if (c.skipping) {
    for (let i = 0; i < 2 * count; i++) c.str();
    return NO_FIELDS as ContactField[];
  }
  const fields: ContactField[] = [];
  for (let i = 0; i < count; i++) fields.push([c.str(), c.str()]);
  return fields;
}
