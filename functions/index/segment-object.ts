import { createHash } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { objectBody, storedLimit } from '#core/storage/object-body.ts';
import { PlaintextError, plaintextOf } from '#core/storage/plaintext.ts';
import { isNotFound } from '#functions/clients/bucket-objects.ts';
import { s3 } from '#functions/clients/s3.ts';
import { SegmentMismatchError } from '#functions/errors.ts';
import { SegmentCorruptError } from '#functions/index/errors.ts';

/**
 * A stored object's plaintext, decompressed by its codec (never past `maxBytes`: its announced size where the
 * caller has it) and checked against the digest it was announced with.
 */
export async function fetchPlaintext(
  bucket: string,
  key: string,
  sha256: string,
  codec: string,
  maxBytes?: number,
): Promise<Buffer> {
  const got = await s3()
    .send(new GetObjectCommand({ Bucket: bucket, Key: key }))
    .catch((error: unknown) => {
      if (isNotFound(error))
        throw new SegmentMismatchError(`s3://${bucket}/${key} does not exist`, { cause: error });
      throw error;
    });
  let plain: Buffer;
  try {
    const stored = await objectBody(got, maxBytes === undefined ? undefined : storedLimit(maxBytes));
    plain = plaintextOf(stored, codec, maxBytes);
  } catch (cause) {
    if (!(cause instanceof PlaintextError)) throw cause;
    throw new SegmentCorruptError(`s3://${bucket}/${key} ${cause.message}`, { cause });
  }
  const actual = createHash('sha256').update(plain).digest('hex');
  if (actual !== sha256)
    throw new SegmentCorruptError(`s3://${bucket}/${key} has digest ${actual}, not the announced ${sha256}`);
  return plain;
}
