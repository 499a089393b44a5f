import { zstdCompressSync } from 'node:zlib';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { blobKey } from '#core/blob-key.ts';
import { inParallel } from '#core/in-parallel.ts';
import type { StoredBody } from '#core/index/apply-transaction.ts';
import { indexKeys } from '#core/index-keys.ts';
import { objectBody, storedLimit } from '#core/storage/object-body.ts';
import { PlaintextError, plaintextOf } from '#core/storage/plaintext.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';
import { isNotFound } from '#functions/clients/bucket-objects.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import { s3 } from '#functions/clients/s3.ts';
import { getAll } from '#functions/index/batch-requests.ts';

/** What storing a segment's bodies did. */
export interface StoredBodies {
  written: number;
  /** Objects under a body's digest that held other bytes (created first by someone else): replaced. */
  replaced: string[];
}

/**
 * Writes message bodies to the content-addressed blob store, each once. A body already stored is believed
 * only once its object (by ETag) has been read and hashed to the digest its key names: a host that may create
 * blobs cannot make the backup keep other bytes under a message's digest. Such an object is replaced by the
 * body the redo carried (the bucket keeps the replaced version).
 */
export async function storeBodies(
  target: { bucket: string; table: string },
  bodies: readonly StoredBody[],
  concurrency = 8,
): Promise<StoredBodies> {
  const unique = [...new Map(bodies.map((b) => [b.sha256, b])).values()];
  const result: StoredBodies = { written: 0, replaced: [] };
  if (unique.length === 0) return result;
  const verified = new Map(
    (
      await getAll(
        target.table,
        unique.map((b) => ({ pk: indexKeys.blob(b.sha256), sk: indexKeys.verified })),
      )
    ).map((i) => [(i.pk as string).slice('BLOB#'.length), i.etag as string | undefined]),
  );
  await inParallel(unique, concurrency, async (body) => {
    const key = blobKey(body.sha256);
    const etag = await storedEtag(target.bucket, key);
    if (etag !== undefined && etag === verified.get(body.sha256)) return;
    if (etag !== undefined && (await holds(target.bucket, key, body))) {
      await markVerified(target.table, body.sha256, etag);
      return;
    }
    if (etag !== undefined) result.replaced.push(body.sha256);
    await markVerified(target.table, body.sha256, await putBody(target.bucket, body));
    result.written++;
  });
  return result;
}

/** The object's ETag, or undefined when there is none. */
async function storedEtag(bucket: string, key: string): Promise<string | undefined> {
  try {
    return (await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ETag ?? '';
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Whether the stored object decodes to exactly the body (its digest), whatever its metadata says. */
async function holds(bucket: string, key: string, body: StoredBody): Promise<boolean> {
  const got = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  try {
    const stored = await objectBody(got, storedLimit(body.content.length));
    return sha256Hex(plaintextOf(stored, got.Metadata?.codec ?? 'none', body.content.length)) === body.sha256;
  } catch (error) {
    if (error instanceof PlaintextError) return false;
    throw error;
  }
}

async function markVerified(table: string, sha256: string, etag: string): Promise<void> {
  await dynamodb().send(
    new PutCommand({
      TableName: table,
      Item: { pk: indexKeys.blob(sha256), sk: indexKeys.verified, etag, at: new Date().toISOString() },
    }),
  );
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
  await inParallel(again, 8, async (body) =>
    markVerified(target.table, body.sha256, await putBody(target.bucket, body)),
  );
  return again.length;
}

async function putBody(bucket: string, body: StoredBody): Promise<string> {
  const out = await s3().send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: blobKey(body.sha256),
      Body: zstdCompressSync(body.content),
      Metadata: { sha256: body.sha256, codec: 'zstd', size: String(body.content.length) },
    }),
  );
  return out.ETag ?? '';
}
