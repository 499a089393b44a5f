import { zstdCompressSync } from 'node:zlib';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { blobKey } from '#core/blob-key.ts';
import { inParallel } from '#core/in-parallel.ts';
import type { StoredBody } from '#core/index/apply-transaction.ts';
import { s3 } from '#functions/clients/s3.ts';

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
    await s3().send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: zstdCompressSync(body.content),
        Metadata: { sha256: body.sha256, codec: 'zstd', size: String(body.content.length) },
      }),
    );
    written++;
  });
  return written;
}

async function alreadyStored(bucket: string, key: string, sha256: string): Promise<boolean> {
  try {
    const head = await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return head.Metadata?.sha256 === sha256;
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404 || (error as { name?: string }).name === 'NotFound') return false;
    throw error;
  }
}
