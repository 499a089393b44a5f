import { zstdCompressSync } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { inParallel, inParallelUnlessStopped } from '#core/in-parallel.ts';
import type { StoredBody } from '#core/index/apply-transaction.ts';
import { blobKey } from '#core/storage/body-keys.ts';
import { locationItem } from '#core/storage/body-location.ts';
import { objectBody } from '#core/storage/object-body.ts';
import { MAX_PLAINTEXT_BYTES, PlaintextError, plaintextOf } from '#core/storage/plaintext.ts';
import type { ExportLocation } from '#core/transfer/transfer-request.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';
import { isNotFound } from '#functions/clients/bucket-objects.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import { s3 } from '#functions/clients/s3.ts';
import {
  type BodyStoreTarget,
  locateBodies,
  PACK_TARGET_BYTES,
  putPack,
  readBodies,
} from '#functions/storage/body-store.ts';
import { headObject } from '#functions/transfer/stored-objects.ts';

export type BlobCopy =
  | { sha256: string; state: 'copied' | 'present'; size: number; storedSize: number }
  | {
      sha256: string;
      state: 'failed';
      reason: 'read-error' | 'digest-mismatch' | 'broken-item';
      detail: string;
    };

/**
 * Copies bodies from this deployment's store (packed or alone, read as a restore reads them, each checked
 * against its digest) to an export's `blobs/`, one object each as the export format has it. A body the
 * destination already holds under its name is not written again.
 */
export async function exportBodies(
  from: BodyStoreTarget,
  to: ExportLocation,
  shas: readonly string[],
  options: { concurrency: number; stopped: () => Promise<boolean> },
): Promise<BlobCopy[] | undefined> {
  const copies: BlobCopy[] = [];
  const wanted: string[] = [];
  await inParallel(shas, options.concurrency, async (sha256) => {
    const there = await headObject(to.bucket, `${to.prefix}${blobKey(sha256)}`);
    if (there?.metadata.sha256 === sha256)
      copies.push({
        sha256,
        state: 'present',
        size: Number(there.metadata.size ?? 0),
        storedSize: there.storedSize,
      });
    else wanted.push(sha256);
  });
  const halted = await readBodies(
    from,
    wanted.map((sha256) => ({ sha256, maxSize: MAX_PLAINTEXT_BYTES })),
    async (sha256, body) => {
      if (!Buffer.isBuffer(body)) {
        copies.push({ sha256, state: 'failed', reason: body.reason, detail: body.detail });
        return;
      }
      const stored = zstdCompressSync(body);
      await putExportBlob(to, sha256, stored, body.length);
      copies.push({ sha256, state: 'copied', size: body.length, storedSize: stored.length });
    },
    options,
  );
  return halted ? undefined : copies;
}

async function putExportBlob(
  to: ExportLocation,
  sha256: string,
  stored: Buffer,
  size: number,
): Promise<void> {
  await s3().send(
    new PutObjectCommand({
      Bucket: to.bucket,
      Key: `${to.prefix}${blobKey(sha256)}`,
      Body: stored,
      ContentType: 'application/octet-stream',
      Metadata: { sha256, codec: 'zstd', size: String(size) },
    }),
  );
}

/**
 * Brings bodies from an export's `blobs/` into this deployment's packs: each read whole and checked against its
 * name first (a damaged one is never carried over; it is reported with the reason), packed once by digest,
 * and located in the index once its pack is durable. A body this deployment has located already is not
 * written again. An export's blobs are zstd by its format (`from.codec`): copied with tools that drop
 * metadata, they still read.
 */
export async function importBodies(
  to: BodyStoreTarget,
  from: ExportLocation & { codec?: 'zstd' },
  shas: readonly string[],
  options: { concurrency: number; stopped: () => Promise<boolean> },
): Promise<BlobCopy[] | undefined> {
  const copies: BlobCopy[] = [];
  const located = await locateBodies(to.table, shas);
  for (const [sha256, at] of located)
    copies.push({ sha256, state: 'present', size: at.size, storedSize: at.length });
  // Bodies read and checked, waiting for a pack; a worker that fills one writes it.
  let batch: StoredBody[] = [];
  let batchBytes = 0;
  const pack = async (bodies: StoredBody[]) => {
    if (bodies.length === 0) return;
    // Located only once the pack is durable; one put per location (this function may not batch-write).
    const packed = await putPack(to.bucket, bodies);
    const at = new Date().toISOString();
    await inParallel(packed.bodies, 8, async (location) => {
      await dynamodb().send(new PutCommand({ TableName: to.table, Item: locationItem(location, at) }));
      copies.push({
        sha256: location.sha256,
        state: 'copied',
        size: location.size,
        storedSize: location.length,
      });
    });
  };
  const wanted = shas.filter((sha256) => !located.has(sha256));
  const halted = await inParallelUnlessStopped(
    wanted,
    options.concurrency,
    options.stopped,
    async (sha256) => {
      const body = await readExportBlob(from, sha256);
      if (!Buffer.isBuffer(body)) {
        copies.push(body);
        return;
      }
      batch.push({ sha256, content: body });
      batchBytes += body.length;
      if (batchBytes < PACK_TARGET_BYTES) return;
      const full = batch;
      batch = [];
      batchBytes = 0;
      await pack(full);
    },
  );
  if (halted) return undefined;
  await pack(batch);
  return copies;
}

/** One body of an export, checked against its name; what is wrong with it when it cannot be taken. */
async function readExportBlob(
  from: ExportLocation & { codec?: 'zstd' },
  sha256: string,
): Promise<Buffer | Extract<BlobCopy, { state: 'failed' }>> {
  const key = `${from.prefix}${blobKey(sha256)}`;
  const fail = (reason: 'read-error' | 'digest-mismatch' | 'broken-item', detail: string) => ({
    sha256,
    state: 'failed' as const,
    reason,
    detail,
  });
  let stored: Buffer;
  let codec: string;
  try {
    const got = await s3().send(new GetObjectCommand({ Bucket: from.bucket, Key: key }));
    stored = await objectBody(got);
    codec = from.codec ?? got.Metadata?.codec ?? 'none';
  } catch (error) {
    if (error instanceof PlaintextError)
      return fail('broken-item', `s3://${from.bucket}/${key} ${error.message}`);
    if (isNotFound(error)) return fail('read-error', `s3://${from.bucket}/${key} is missing`);
    throw error;
  }
  let plain: Buffer;
  try {
    plain = plaintextOf(stored, codec);
  } catch (error) {
    if (!(error instanceof PlaintextError)) throw error;
    return fail('broken-item', `s3://${from.bucket}/${key} ${error.message}`);
  }
  const actual = sha256Hex(plain);
  if (actual !== sha256)
    return fail('digest-mismatch', `s3://${from.bucket}/${key} holds content with SHA-256 ${actual}`);
  return plain;
}
