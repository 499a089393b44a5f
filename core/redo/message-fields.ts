import type { ByteCursor } from '#core/redo/byte-cursor.ts';
import type { ByteWriter } from '#core/redo/byte-writer.ts';
import { RedoEncodeError, RedoFormatError } from '#core/redo/errors.ts';
import type { BodyRef, CreateMessageData, CustomData, RecordHeader } from '#core/redo/redo-record.ts';
import { atLeast, type RedoVersion } from '#core/redo/version.ts';

// What a skipping cursor's decode returns as the body: measuring a record builds nothing it would drop.
const SKIPPED_INLINE = Object.freeze({ type: 'inline', offset: 0, length: 0 }) as CreateMessageData['body'];
const SKIPPED_LINK = Object.freeze({ type: 'link' }) as CreateMessageData['body'];

// CreateMessage's fields: also the tail of SaveDraft, SaveDocument, SaveWiki, AddDocumentRevision,
// CreateChat and SaveChat, which extend it in the server.

/**
 * Reads the fields onto `into` (an op's own leading fields, e.g. `{ op: 'CreateMessage' }`): one object per
 * record, its fields in the record's order, no copy.
 */
export function decodeMessageFields<T extends object>(
  c: ByteCursor,
  v: RedoVersion,
  h: RecordHeader,
  into: T,
): T & CreateMessageData {
  const data = into as T & Partial<CreateMessageData>;
  data.rcptEmail = c.str();
  data.receivedDate = atLeast(v, 1, 4) ? c.i64() : h.timestamp;
  data.shared = c.bool();
  data.digest = c.str();
  data.size = atLeast(v, 1, 42) ? c.i64() : c.i32();
  data.msgId = c.i32();
  data.folderId = c.i32();
  data.convId = c.i32();
  if (atLeast(v, 1, 5)) data.convFirstMsgId = c.i32();
  if (atLeast(v, 1, 32)) data.mergedConvIds = c.i32Array();
  data.calItemId = c.i32();
  if (atLeast(v, 1, 1)) data.partStat = c.str();
  data.flags = c.i32();
  data.noICal = c.bool();
  if (atLeast(v, 1, 33)) data.tags = c.strArray();
  else data.tagIds = c.str();
  data.path = c.str();
  c.i16();
  if (atLeast(v, 1, 25)) data.custom = decodeCustom(c);
  const typeAt = c.pos;
  const bodyType = c.i8();
  if (bodyType === 1) {
    const lengthAt = c.pos;
    const body = c.body(c.i32(), lengthAt);
    data.body = c.skipping ? SKIPPED_INLINE : { type: 'inline', ...body };
  } else if (bodyType === 2) {
    c.i16();
    data.body = c.skipping ? SKIPPED_LINK : { type: 'link' };
  } else {
    throw new RedoFormatError(`message body type ${bodyType} is unknown (1 inline, 2 link)`, typeAt);
  }
  return data as T & CreateMessageData;
}

export function encodeMessageFields(w: ByteWriter, v: RedoVersion, d: CreateMessageData): void {
  w.str(d.rcptEmail);
  if (atLeast(v, 1, 4)) w.i64(d.receivedDate);
  w.bool(d.shared);
  w.str(d.digest);
  if (atLeast(v, 1, 42)) w.i64(d.size);
  else w.i32(d.size);
  w.i32(d.msgId);
  w.i32(d.folderId);
  w.i32(d.convId);
  if (atLeast(v, 1, 5)) w.i32(d.convFirstMsgId ?? -1);
  if (atLeast(v, 1, 32)) w.i32Array(d.mergedConvIds ?? []);
  w.i32(d.calItemId);
  if (atLeast(v, 1, 1)) w.str(d.partStat);
  w.i32(d.flags);
  w.bool(d.noICal);
  if (atLeast(v, 1, 33)) w.strArray(d.tags);
  else w.str(d.tagIds);
  w.str(d.path);
  w.i16(-1);
  if (atLeast(v, 1, 25)) encodeCustom(w, d.custom);
  if (d.body.type === 'inline') {
    w.i8(1);
    encodeBody(w, d.body);
  } else {
    w.i8(2);
    w.i16(-1);
  }
}

/** Custom metadata: a section key, then its serialized value only when the key is not null. */
export function decodeCustom(c: ByteCursor): CustomData | null {
  const key = c.str();
  return key === null ? null : { key, value: c.str() };
}

export function encodeCustom(w: ByteWriter, data: CustomData | null | undefined): void {
  if (!data) {
    w.str(null);
    return;
  }
  w.str(data.key);
  w.str(data.value);
}

/** i32 length, then that many raw bytes. */
export function encodeBody(w: ByteWriter, ref: BodyRef): void {
  if (!ref.bytes) throw new RedoEncodeError('a body to write must carry its bytes');
  w.i32(ref.bytes.length);
  w.raw(ref.bytes);
}
