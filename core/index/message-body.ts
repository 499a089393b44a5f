import { gunzipSync } from 'node:zlib';
import type { EntityView, IncomingBlob } from '#core/index/apply-transaction.ts';
import { IndexInputError } from '#core/index/errors.ts';
import { summarizeMessage } from '#core/index/message-summary.ts';
import type { BodyRef, CreateMessageData, RedoRecord } from '#core/redo/redo-record.ts';
import { sha256Hex, zimbraDigest } from '#core/zimbra-digest.ts';

// The body a message-shaped record (a message, a draft, a document revision…) carries: inline bytes, maybe
// gzipped, checked against the digest the server recorded before they are believed.

/**
 * The body a message-shaped record carries (inline, checked against the recorded digest and stored once), or
 * the incoming blob it links to; undefined when a linked blob was never stored.
 */
export function messageBody(
  data: CreateMessageData,
  record: RedoRecord,
  view: EntityView,
): Omit<IncomingBlob, 'path'> | undefined {
  if (data.body.type === 'inline') {
    const content = inflate(bodyBytes(data.body, record), data.size, record);
    checkDigest(data.digest, content, record);
    const stored = { sha256: sha256Hex(content), size: content.length, ...summarizeMessage(content) };
    view.storeBody({ sha256: stored.sha256, content });
    return stored;
  }
  return data.path === null ? undefined : view.incoming(data.path, record.header.mailboxId);
}

export function bodyBytes(body: BodyRef, record: RedoRecord): Buffer {
  if (!body.bytes) throw new IndexInputError('body was not captured; read with captureBodies', record.offset);
  return body.bytes;
}

/** Bodies whose stored length differs from the message size are gzip (spec §3). */
export function inflate(bytes: Buffer, size: number, record: RedoRecord): Buffer {
  if (bytes.length === size) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (cause) {
    throw new IndexInputError(
      `body of ${bytes.length} bytes for a ${size}-byte message is neither plain nor gzip`,
      record.offset,
      { cause },
    );
  }
}

export function checkDigest(digest: string | null, content: Buffer, record: RedoRecord): void {
  if (digest === null || digest === '') return;
  const actual = zimbraDigest(content);
  if (actual !== digest)
    throw new IndexInputError(`body digest ${actual} differs from the recorded ${digest}`, record.offset);
}
