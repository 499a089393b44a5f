import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { RateLimiter } from '#agent/ship/rate-limiter.ts';
import { PACE_CHUNK, type UploadBody } from '#agent/ship/upload-body.ts';

export interface UploadRequest {
  bucket: string;
  key: string;
  body: UploadBody;
  /** Plaintext digest, size and codec travel with the object so every reader can verify it. */
  metadata: Record<string, string>;
  multipartThreshold: number;
  partSize: number;
  /** Parts in flight at once for one object (default 1). */
  partConcurrency?: number;
  limiter: RateLimiter;
  signal?: AbortSignal;
}

/** Stored now, or there already: every key is written once (If-None-Match) and names its content's digest. */
export type UploadOutcome = 'stored' | 'exists';

/** S3 refused a write-once put because the key exists (412). */
export function isPreconditionFailed(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'PreconditionFailed' || e.$metadata?.httpStatusCode === 412;
}

/**
 * Puts one object, in parts when it is large, never replacing one (If-None-Match: `*`, which an agent's own
 * identity requires); bytes are paced by the shared rate limiter.
 */
export async function uploadObject(s3: S3Client, r: UploadRequest): Promise<UploadOutcome> {
  const options = r.signal ? { abortSignal: r.signal } : {};
  const size = r.body.size;
  if (size <= r.multipartThreshold) {
    try {
      await s3.send(
        new PutObjectCommand({
          Bucket: r.bucket,
          Key: r.key,
          Body: await paced(r.body, 0, size, r.limiter, r.signal),
          ContentLength: size,
          Metadata: r.metadata,
          IfNoneMatch: '*',
        }),
        options,
      );
    } catch (error) {
      if (isPreconditionFailed(error)) return 'exists';
      throw error;
    }
    return 'stored';
  }
  const { UploadId } = await s3.send(
    new CreateMultipartUploadCommand({ Bucket: r.bucket, Key: r.key, Metadata: r.metadata }),
    options,
  );
  try {
    const count = Math.ceil(size / r.partSize);
    const parts: { ETag: string; PartNumber: number }[] = new Array(count);
    // Parts go up `partConcurrency` at a time; the first failure stops the others from starting.
    let next = 0;
    const uploadParts = async (): Promise<void> => {
      while (next < count) {
        const n = next++;
        const start = n * r.partSize;
        const end = Math.min(size, start + r.partSize);
        try {
          const { ETag } = await s3.send(
            new UploadPartCommand({
              Bucket: r.bucket,
              Key: r.key,
              UploadId,
              PartNumber: n + 1,
              Body: await paced(r.body, start, end, r.limiter, r.signal),
              ContentLength: end - start,
            }),
            options,
          );
          parts[n] = { ETag: ETag ?? '', PartNumber: n + 1 };
        } catch (error) {
          next = count;
          throw error;
        }
      }
    };
    const workers = Array.from({ length: Math.min(count, r.partConcurrency ?? 1) }, uploadParts);
    const settled = await Promise.allSettled(workers);
    // Every part settled before the abort below, so no part lands after it.
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: r.bucket,
        Key: r.key,
        UploadId,
        MultipartUpload: { Parts: parts },
        IfNoneMatch: '*',
      }),
      options,
    );
    return 'stored';
  } catch (error) {
    // Leave no paid-for parts behind; the whole object is uploaded again on the next try.
    await s3
      .send(new AbortMultipartUploadCommand({ Bucket: r.bucket, Key: r.key, UploadId }))
      .catch(() => undefined);
    if (isPreconditionFailed(error)) return 'exists';
    throw error;
  }
}

/** Bytes [start, end) of `body`, each chunk taken from the rate limiter as it is sent. */
async function paced(
  body: UploadBody,
  start: number,
  end: number,
  limiter: RateLimiter,
  signal?: AbortSignal,
): Promise<Readable | Buffer> {
  if (end - start <= PACE_CHUNK) {
    const chunks: Buffer[] = [];
    for await (const chunk of body.chunks(start, end)) chunks.push(chunk);
    await limiter.take(end - start, signal);
    return chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks);
  }
  // A byte stream (not an object stream) reads one chunk ahead of the socket, not sixteen.
  return Readable.from(
    (async function* () {
      for await (const chunk of body.chunks(start, end)) {
        await limiter.take(chunk.length, signal);
        yield chunk;
      }
    })(),
    { objectMode: false, highWaterMark: PACE_CHUNK },
  );
}
