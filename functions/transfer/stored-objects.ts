import { zstdCompressSync } from 'node:zlib';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { ExportLocation } from '#core/transfer/transfer-request.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';
import { isNotFound } from '#functions/clients/bucket-objects.ts';
import { s3 } from '#functions/clients/s3.ts';
import { SegmentMismatchError } from '#functions/errors.ts';
import { SegmentCorruptError } from '#functions/index/errors.ts';
import { fetchPlaintext } from '#functions/index/segment-object.ts';
import { ExportObjectError } from '#functions/transfer/errors.ts';

/** What an export's manifest says of each file: the plaintext's SHA-256 and size, and the stored size. */
export interface StoredFile {
  sha256: string;
  size: number;
  storedSize: number;
}

/** Writes `plain` zstd-compressed at `key`, with the plaintext's SHA-256 and the codec in metadata. */
export async function putStored(
  bucket: string,
  key: string,
  plain: Buffer | string,
  contentType: string,
): Promise<StoredFile> {
  const bytes = typeof plain === 'string' ? Buffer.from(plain, 'utf8') : plain;
  const sha256 = sha256Hex(bytes);
  const stored = zstdCompressSync(bytes);
  await s3().send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: stored,
      ContentType: contentType,
      Metadata: { sha256, codec: 'zstd', size: String(bytes.length) },
    }),
  );
  return { sha256, size: bytes.length, storedSize: stored.length };
}

/** A file of an export, decompressed and checked against the SHA-256 its manifest gives. */
export async function getStored(location: ExportLocation, path: string, sha256: string): Promise<Buffer> {
  const key = `${location.prefix}${path}`;
  try {
    return await fetchPlaintext(location.bucket, key, sha256, 'zstd');
  } catch (error) {
    if (error instanceof SegmentMismatchError || error instanceof SegmentCorruptError)
      throw new ExportObjectError(`the export's ${path}: ${error.message}`, { cause: error });
    throw error;
  }
}

/** Whether `key` holds an object (a HEAD): its metadata and stored size if so. */
export async function headObject(
  bucket: string,
  key: string,
): Promise<{ metadata: Record<string, string>; storedSize: number } | undefined> {
  try {
    const head = await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { metadata: head.Metadata ?? {}, storedSize: head.ContentLength ?? 0 };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
