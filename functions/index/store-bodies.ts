import { zstdCompressSync } from 'node:zlib';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { blobKey } from '#core/blob-key.ts';
import { inParallel } from '#core/in-parallel.ts';
import type { StoredBody } from '#core/index/apply-transaction.ts';
import { indexKeys } from '#core/index-keys.ts';
import { isNotFound } from '#functions/clients/bucket-objects.ts';
import { s3 } from '#functions/clients/s3.ts';
import { getAll } from '#functions/index/batch-requests.ts';

/**
 * Writes message bodies to the content-addressed blob store, each once: a body already stored (same key,
 * same digest in its metadata) is not written again. Returns how many were written.
 */
export async function storeBodies(
  bucket: string,
  bodies: readonly StoredBody[],
  concurrency = 8,
): Promise<number> {
  const unique = [...new Map(bodies.map((b) => [b.sha256, b])).values()];
  let written = 0;
  await inParallel(unique, concurrency, async (body) => {
    const key = blobKey(body.sha256);
    if (await alreadyStored(bucket, key, body.sha256)) return;
    await putBody(bucket, body);
    written++;
  });
  return written;
}

/**
 * Writes again the bodies a purge has marked (it may have deleted one after `storeBodies` found it stored
 * and before this segment's references were written). Returns how many were written.
 */
export async function rewriteMarkedBodies(
  target: { table: string; bucket: string },
  bodies: readonly StoredBody[],
): Promise<number> {
  const unique = [...new Map(bodies.map((b) => [b.sha256, b])).values()];
  if (unique.length === 0) return 0;
  const marked = await getAll(
    target.table,
    unique.map((b) => ({ pk: indexKeys.blob(b.sha256), sk: indexKeys.purged })),
  );
  const shas = new Set(marked.map((i) => (i.pk as string).slice('BLOB#'.length)));
  const again = unique.filter((b) => shas.has(b.sha256));
  await inParallel(again, 8, (body) => putBody(target.bucket, body));
  return again.length;
}

async function putBody(bucket: string, body: StoredBody): Promise<void> {
  await s3().send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: blobKey(body.sha256),
      Body: zstdCompressSync(body.content),
      Metadata: { sha256: body.sha256, codec: 'zstd', size: String(body.content.length) },
    }),
  );
}

async function alreadyStored(bucket: string, key: string, sha256: string): Promise<boolean> {
  try {
    const head = await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return head.Metadata?.sha256 === sha256;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}
