import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { s3 } from '#functions/clients/s3.ts';

/** Every object under `prefix`, page after page: key → size and last modification (ms). */
export async function listObjects(
  bucket: string,
  prefix: string,
): Promise<Map<string, { size: number; lastModified: number }>> {
  const out = new Map<string, { size: number; lastModified: number }>();
  let token: string | undefined;
  do {
    const page = await s3().send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? [])
      if (o.Key) out.set(o.Key, { size: o.Size ?? 0, lastModified: o.LastModified?.getTime() ?? 0 });
    token = page.NextContinuationToken;
  } while (token);
  return out;
}

/** A HEAD or GET of an object that is not there (a GET says NoSuchKey; a HEAD answers a bare 404). */
export function isNotFound(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const name = (error as { name?: string }).name;
  // A missing bucket is a deployment fault, never an object gone: it must not read as one.
  if (name === 'NoSuchBucket') return false;
  return status === 404 || name === 'NotFound' || name === 'NoSuchKey';
}
