import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { objectBody } from '#core/storage/object-body.ts';
import { OPERATIONS_PREFIX, operationObjectKeys } from '#core/storage/operation-keys.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';
import { listObjects } from '#functions/clients/bucket-objects.ts';
import { s3 } from '#functions/clients/s3.ts';
import { OperationObjectError } from '#functions/restore/errors.ts';

/** Where an operation keeps its plan, its work items, their results and its bundle. */
export const operationObject = {
  prefix: operationObjectKeys.prefix,
  ...operationObjectKeys.restore,
  report: operationObjectKeys.report,
};

/** Hours an `operations/` object is locked in a bucket with Object Lock (long enough for its operation to run). */
export const OPERATION_OBJECT_LOCK_HOURS = 24;
let bucketLocked = false;

/**
 * Set at cold start when the bucket has Object Lock: an operation's plans, results and bundles then carry a
 * lock of their own, a day, instead of the bucket's default (years, in a compliance deployment), so they go
 * with their operation.
 */
export function setOperationObjectLock(locked: boolean): void {
  bucketLocked = locked;
}

function operationObjectLock(key: string): {
  ObjectLockMode?: 'GOVERNANCE';
  ObjectLockRetainUntilDate?: Date;
} {
  if (!bucketLocked || !key.startsWith(OPERATIONS_PREFIX)) return {};
  return {
    ObjectLockMode: 'GOVERNANCE',
    ObjectLockRetainUntilDate: new Date(Date.now() + OPERATION_OBJECT_LOCK_HOURS * 3_600_000),
  };
}

/** Writes an object with its SHA-256 in metadata (every read checks it). Returns the SHA-256. */
export async function putBytes(
  bucket: string,
  key: string,
  body: Uint8Array | string,
  contentType: string,
): Promise<string> {
  const sha256 = sha256Hex(body);
  await s3().send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: body,
      ContentType: contentType,
      Metadata: { sha256, codec: 'none' },
      ...operationObjectLock(key),
    }),
  );
  return sha256;
}

export const putJson = (bucket: string, key: string, value: unknown) =>
  putBytes(bucket, key, JSON.stringify(value), 'application/json');

/** Reads an object and checks it against the SHA-256 in its metadata. */
export async function getBytes(
  bucket: string,
  key: string,
): Promise<{ bytes: Buffer; metadata: Record<string, string> }> {
  let bytes: Buffer;
  let metadata: Record<string, string>;
  try {
    const got = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    bytes = await objectBody(got);
    metadata = got.Metadata ?? {};
  } catch (cause) {
    throw new OperationObjectError(`cannot read s3://${bucket}/${key}: ${(cause as Error).name}`, { cause });
  }
  if (metadata.sha256 && metadata.codec === 'none' && sha256Hex(bytes) !== metadata.sha256)
    throw new OperationObjectError(`s3://${bucket}/${key} does not match the SHA-256 it was written with`);
  return { bytes, metadata };
}

export async function getJson<T>(bucket: string, key: string): Promise<T> {
  const { bytes } = await getBytes(bucket, key);
  return JSON.parse(bytes.toString('utf8')) as T;
}

/** The JSON arrays stored under `prefix` (one per share or attempt), concatenated. */
export async function readJsonArrays<T>(bucket: string, prefix: string): Promise<T[]> {
  const all: T[] = [];
  for (const key of (await listObjects(bucket, prefix)).keys())
    all.push(...(await getJson<T[]>(bucket, key)));
  return all;
}
