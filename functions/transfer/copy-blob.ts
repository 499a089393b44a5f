import { zstdCompressSync } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { inParallel } from '#core/in-parallel.ts';
import { blobKey } from '#core/storage/body-keys.ts';
import { objectBody } from '#core/storage/object-body.ts';
import { MAX_PLAINTEXT_BYTES, PlaintextError, plaintextOf } from '#core/storage/plaintext.ts';
import type { ExportLocation } from '#core/transfer/transfer-request.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';
import { isNotFound } from '#functions/clients/bucket-objects.ts';
import { s3 } from '#functions/clients/s3.ts';
import { type BodyStoreTarget, readBodies } from '#functions/storage/body-store.ts';
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
 * Copies one blob from a store (`blobs/` under the location's prefix) to another, read whole and checked
 * against its name first: a damaged blob is never carried over, it is reported with the reason. A blob the
 * destination already holds under its name (its metadata says so) is not written again. An export's blobs
 * are zstd by its format (`from.codec`): copied with tools that drop metadata, they still read.
 */
export async function copyBlob(
  from: ExportLocation & { codec?: 'zstd' },
  to: ExportLocation,
  sha256: string,
): Promise<BlobCopy> {
  const fromKey = `${from.prefix}${blobKey(sha256)}`;
  const toKey = `${to.prefix}${blobKey(sha256)}`;
  const there = await headObject(to.bucket, toKey);
  if (there?.metadata.sha256 === sha256)
    return { sha256, state: 'present', size: Number(there.metadata.size ?? 0), storedSize: there.storedSize };
  const fail = (reason: 'read-error' | 'digest-mismatch' | 'broken-item', detail: string): BlobCopy => ({
    sha256,
    state: 'failed',
    reason,
    detail,
  });
  let stored: Buffer;
  let codec: string;
  try {
    const got = await s3().send(new GetObjectCommand({ Bucket: from.bucket, Key: fromKey }));
    stored = await objectBody(got);
    codec = from.codec ?? got.Metadata?.codec ?? 'none';
  } catch (error) {
    if (error instanceof PlaintextError)
      return fail('broken-item', `s3://${from.bucket}/${fromKey} ${error.message}`);
    if (isNotFound(error)) return fail('read-error', `s3://${from.bucket}/${fromKey} is missing`);
    throw error;
  }
  let plain: Buffer;
  try {
    plain = plaintextOf(stored, codec);
  } catch (error) {
    if (!(error instanceof PlaintextError)) throw error;
    return fail('broken-item', `s3://${from.bucket}/${fromKey} ${error.message}`);
  }
  const actual = sha256Hex(plain);
  if (actual !== sha256)
    return fail('digest-mismatch', `s3://${from.bucket}/${fromKey} holds content with SHA-256 ${actual}`);
  const body = codec === 'zstd' ? stored : zstdCompressSync(plain);
  await putExportBlob(to, sha256, body, plain.length);
  return { sha256, state: 'copied', size: plain.length, storedSize: body.length };
}
