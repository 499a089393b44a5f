import { ByteWriter } from '#core/redo/byte-writer.ts';
import { RECORD_MAGIC } from '#core/redo/decode-record.ts';
import { RedoEncodeError } from '#core/redo/errors.ts';
import type { FieldCodec } from '#core/redo/field-codecs.ts';
import { encodeBody, encodeCustom, encodeMessageFields } from '#core/redo/message-fields.ts';
import { opCodeOf } from '#core/redo/op-codes.ts';
import { OP_LAYOUTS } from '#core/redo/op-layouts.ts';
import type { ContactField, OpData, RecordHeader } from '#core/redo/redo-record.ts';
import { atLeast, type RedoVersion } from '#core/redo/version.ts';

/** Encodes one record exactly as the server writes it; bodies must carry their bytes. */
export function encodeRecord(header: RecordHeader, data: OpData): Buffer {
  if (opCodeOf(data.op) !== header.opCode) {
    throw new RedoEncodeError(`header op code ${header.opCode} does not match data op ${data.op}`);
  }
  const w = new ByteWriter();
  const v = header.version;
  w.raw(Buffer.from(RECORD_MAGIC, 'latin1'));
  w.i16(v.major);
  w.i16(v.minor);
  w.i32(header.opCode);
  w.i64(header.timestamp);
  w.i32(header.changeId);
  w.i32(header.changeConstraint);
  w.i32(header.txnId.time);
  w.i32(header.txnId.counter);
  if (atLeast(v, 1, 26)) w.i64(header.mailboxId);
  else w.i32(header.mailboxId);
  encodeData(w, v, data);
  return w.toBuffer();
}

function encodeData(w: ByteWriter, v: RedoVersion, d: OpData): void {
  if (Object.hasOwn(OP_LAYOUTS, d.op)) {
    const { op: _op, ...fields } = d;
    (OP_LAYOUTS[d.op as keyof typeof OP_LAYOUTS] as FieldCodec<object>).write(w, v, fields);
    return;
  }
  switch (d.op) {
    case 'Checkpoint':
      w.i32(d.activeTxns.length);
      for (const t of d.activeTxns) {
        w.i32(t.time);
        w.i32(t.counter);
      }
      return;
    case 'CommitTxn':
    case 'AbortTxn':
      w.i32(d.txnOpCode);
      return;
    case 'CreateMailbox':
      w.str(d.accountId);
      return;
    case 'DeleteMailbox':
    case 'PurgeOldMessages':
    case 'PurgeImapDeleted':
      return;
    case 'RenameMailbox':
      w.str(d.newName);
      if (atLeast(v, 1, 25)) w.str(d.oldName);
      return;
    case 'CreateFolder':
      w.str(d.name);
      w.i32(d.parentId);
      if (atLeast(v, 1, 19)) w.i8(d.attrs ?? 0);
      w.i8(d.view);
      w.i32(d.flags);
      if (atLeast(v, 1, 27)) w.i64(d.color);
      else w.i8(d.color);
      w.str(d.url);
      w.i32(d.folderId);
      if (atLeast(v, 1, 37)) w.str(d.uuid);
      if (atLeast(v, 1, 39)) {
        const date = d.date ?? null;
        w.bool(date !== null);
        if (date !== null) {
          if (atLeast(v, 1, 40)) w.i64(date);
          else w.i32(Math.floor(date / 1000));
        }
      }
      if (atLeast(v, 1, 41)) encodeCustom(w, d.custom);
      return;
    case 'RenameFolder':
      w.i32(d.folderId);
      w.i32(d.parentId);
      w.str(d.name);
      return;
    case 'CreateTag':
      w.i32(d.tagId);
      w.str(d.name);
      if (atLeast(v, 1, 27)) w.i64(d.color);
      else w.i8(d.color);
      return;
    case 'MoveItem':
      w.i32(-1);
      w.i8(d.itemType);
      w.i32(d.destFolderId);
      constraint(w, d.constraint);
      w.i32Array(d.ids);
      if (atLeast(v, 1, 16)) w.i32(d.uidNext ?? -1);
      return;
    case 'DeleteItem':
      w.i32(-1);
      w.i8(d.itemType);
      constraint(w, d.constraint);
      w.i32Array(d.ids);
      return;
    case 'EmptyFolder':
      w.i32(d.folderId);
      w.bool(d.subfolders);
      return;
    case 'AlterItemTag':
      w.i32(-1);
      w.i8(d.itemType);
      if (atLeast(v, 1, 33)) w.str(d.tagName);
      else w.i32(d.tagId ?? 0);
      w.bool(d.tagged);
      constraint(w, d.constraint);
      w.i32Array(d.ids);
      return;
    case 'SetItemTags':
      w.i32(-1);
      w.i8(d.itemType);
      w.i32(d.flags);
      if (atLeast(v, 1, 33)) w.strArray(d.tags);
      else w.i64(BigInt(d.tagBitmask ?? '0'));
      constraint(w, d.constraint);
      w.i32Array(d.ids);
      return;
    case 'CreateMessage':
      encodeMessageFields(w, v, d);
      return;
    case 'SaveDraft':
      w.i32(d.imapId);
      encodeMessageFields(w, v, d);
      return;
    case 'StoreIncomingBlob': {
      w.i32(d.mailboxIds.length);
      for (const id of d.mailboxIds) {
        if (atLeast(v, 1, 26)) w.i64(id);
        else w.i32(id);
      }
      w.str(d.digest);
      w.str(d.path);
      w.i16(-1);
      w.i32(d.size);
      encodeBody(w, d.body);
      return;
    }
    case 'CreateContact':
      w.i32(d.contactId);
      w.i32(d.folderId);
      w.i16(-1);
      if (atLeast(v, 1, 33)) w.strArray(d.tags);
      else w.str(d.tagIds);
      contactFields(w, d.fields);
      if (atLeast(v, 1, 14)) encodeBody(w, required(d.body, 'CreateContact'));
      return;
    case 'ModifyContact':
      w.i32(d.contactId);
      if (!atLeast(v, 1, 14)) {
        w.bool(d.replace ?? false);
        contactFields(w, d.fields);
        return;
      }
      contactFields(w, d.fields);
      w.i16(d.volumeId ?? -1);
      encodeBody(w, required(d.body, 'ModifyContact'));
      return;
  }
}

function required<T>(value: T | undefined, op: string): T {
  if (value === undefined) throw new RedoEncodeError(`${op} from version 1.14 needs a body`);
  return value;
}

function constraint(w: ByteWriter, value: string | null): void {
  w.bool(value !== null);
  if (value !== null) w.str(value);
}

function contactFields(w: ByteWriter, fields: ContactField[]): void {
  w.i16(fields.length);
  for (const [name, value] of fields) {
    w.str(name);
    w.str(value ?? '');
  }
}
