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

export interface UploadRequest {
  bucket: string;
  key: string;
  body: Buffer;
  /** Plaintext digest, size and codec travel with the object so every reader can verify it. */
  metadata: Record<string, string>;
  multipartThreshold: number;
  partSize: number;
  /** Parts in flight at once for one object (default 1). */
  partConcurrency?: number;
  limiter: RateLimiter;
  signal?: AbortSignal;
}

const PACE_CHUNK = 256 * 1024;

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
  if (r.body.length <= r.multipartThreshold) {
    try {
      await s3.send(
        new PutObjectCommand({
          Bucket: r.bucket,
          Key: r.key,
          Body: await paced(r.body, r.limiter, r.signal),
          ContentLength: r.body.length,
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
    const count = Math.ceil(r.body.length / r.partSize);
    const parts: { ETag: string; PartNumber: number }[] = new Array(count);
    // Parts go up `partConcurrency` at a time; the first failure stops the others from starting.
    let next = 0;
    const uploadParts = async (): Promise<void> => {
      while (next < count) {
        const n = next++;
        const part = r.body.subarray(n * r.partSize, Math.min(r.body.length, (n + 1) * r.partSize));
        try {
          const { ETag } = await s3.send(
            new UploadPartCommand({
              Bucket: r.bucket,
              Key: r.key,
              UploadId,
              PartNumber: n + 1,
              Body: await paced(part, r.limiter, r.signal),
              ContentLength: part.length,
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

async function paced(body: Buffer, limiter: RateLimiter, signal?: AbortSignal): Promise<Readable | Buffer> {
  if (body.length <= PACE_CHUNK) {
    await limiter.take(body.length, signal);
    return body;
  }
  return Readable.from(
    (async function* () {
      for (let at = 0; at < body.length; at += PACE_CHUNK) {
        const chunk = body.subarray(at, Math.min(body.length, at + PACE_CHUNK));
        await limiter.take(chunk.length, signal);
        yield chunk;
      }
    })(),
  );
}
