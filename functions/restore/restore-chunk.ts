import { GetObjectCommand, NoSuchKey } from '@aws-sdk/client-s3';
import { blobKey } from '#core/blob-key.ts';
import { inParallelUnlessStopped } from '#core/in-parallel.ts';
import { accountDir, messageFile, type UnrestoredItem } from '#core/restore/bundle-manifest.ts';
import { objectBody, storedLimit } from '#core/storage/object-body.ts';
import { PlaintextError, plaintextOf } from '#core/storage/plaintext.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';
import { s3 } from '#functions/clients/s3.ts';
import { quarantineNote } from '#functions/coherency/quarantine-records.ts';
import { getJson, operationObject, putBytes, putJson } from '#functions/restore/operation-objects.ts';
import type { WorkFile, WorkResult } from '#functions/restore/restore-plan.ts';

export interface ChunkTarget {
  readonly backupBucket: string;
  /** Where a missing blob may be recorded as quarantined (the reason then says where it went). */
  readonly indexTable?: string;
  /** Copies running at once within one work item. */
  readonly concurrency?: number;
}

/** Asked between messages; true stops the chunk (the operation was stopped). */
export type StopCheck = () => Promise<boolean>;

/**
 * Copies one work item's messages and document revisions from the blob store into the bundle, each checked against the SHA-256
 * the index recorded. A message whose blob is missing, unreadable or different is recorded as unrestored
 * with the reason, and the others go on; other failures (throttling, network) throw so that the work item
 * is retried. Returns undefined if the operation was stopped meanwhile (nothing is counted then).
 */
export async function restoreChunk(
  target: ChunkTarget,
  operationId: string,
  index: number,
  stopped: StopCheck,
): Promise<WorkResult | undefined> {
  const work = await getJson<WorkFile>(target.backupBucket, operationObject.work(operationId, index));
  const result: WorkResult = { account: work.account, restored: 0, bytes: 0, unrestored: [] };
  const halted = await inParallelUnlessStopped(
    work.messages,
    target.concurrency ?? 8,
    stopped,
    async (message) => {
      const copied = await copyMessage(target, operationId, work.account, message);
      if ('reason' in copied) result.unrestored.push(copied);
      else {
        result.restored++;
        result.bytes += copied.bytes;
      }
    },
  );
  if (halted) return undefined;
  result.unrestored.sort((a, b) => a.id - b.id);
  await putJson(target.backupBucket, operationObject.result(operationId, index), result);
  return result;
}

async function copyMessage(
  target: ChunkTarget,
  operationId: string,
  account: number,
  message: WorkFile['messages'][number],
): Promise<{ bytes: number } | UnrestoredItem> {
  const fail = (reason: UnrestoredItem['reason'], detail: string): UnrestoredItem => ({
    id: message.id,
    ...(message.file === undefined ? { kind: 'message' } : { kind: 'document', file: message.file }),
    reason,
    detail,
  });
  if (!/^[0-9a-f]{64}$/.test(message.sha256))
    return fail('broken-item', 'the index has no body for this item (its content was never shipped)');
  const bucket = target.backupBucket;
  // Bounded by the item's recorded size (with room for a size the server recorded loosely): a blob cannot
  // be a decompression bomb, nor an object far larger than its item.
  const plainLimit = Math.max(2 * message.size, 1024 * 1024);
  let stored: Uint8Array;
  let codec: string | undefined;
  try {
    const got = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: blobKey(message.sha256) }));
    stored = await objectBody(got, storedLimit(plainLimit));
    codec = got.Metadata?.codec;
  } catch (error) {
    if (error instanceof PlaintextError)
      return fail('broken-item', `blob ${blobKey(message.sha256)} ${error.message}`);
    if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') {
      const note = target.indexTable ? await quarantineNote(target.indexTable, blobKey(message.sha256)) : '';
      return fail('read-error', `blob ${blobKey(message.sha256)} is missing from the bucket${note}`);
    }
    throw error;
  }
  let body: Buffer;
  try {
    body = plaintextOf(stored, codec, plainLimit);
  } catch (error) {
    if (!(error instanceof PlaintextError)) throw error;
    return fail('broken-item', `blob ${blobKey(message.sha256)} ${error.message}`);
  }
  const actual = sha256Hex(body);
  if (actual !== message.sha256)
    return fail('digest-mismatch', `blob ${blobKey(message.sha256)} holds content with SHA-256 ${actual}`);
  await putBytes(
    bucket,
    operationObject.bundle(operationId, `${accountDir(account)}/${message.file ?? messageFile(message.id)}`),
    body,
    message.file === undefined ? 'message/rfc822' : 'application/octet-stream',
  );
  return { bytes: body.length };
}
