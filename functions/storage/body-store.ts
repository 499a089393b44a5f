import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { inParallel, inParallelUnlessStopped } from '#core/in-parallel.ts';
import type { StoredBody } from '#core/index/apply-transaction.ts';
import { indexKeys } from '#core/index-keys.ts';
import { blobKey, packKey } from '#core/storage/body-keys.ts';
import { type BodyLocation, locationItem, locationOf } from '#core/storage/body-location.ts';
import {
  bodyOfFrame,
  encodePack,
  PACK_FOOTER_BYTES,
  PACK_FORMAT,
  PackError,
  type PackedBody,
  readTrailer,
  trailerLength,
} from '#core/storage/body-pack.ts';
import { objectBody, storedLimit } from '#core/storage/object-body.ts';
import { PlaintextError, plaintextOf } from '#core/storage/plaintext.ts';
import { readRanges } from '#core/storage/read-ranges.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';
import { isNotFound } from '#functions/clients/bucket-objects.ts';
import { dynamodb, isConditionFailed } from '#functions/clients/dynamodb.ts';
import { s3 } from '#functions/clients/s3.ts';
import { quarantineNote } from '#functions/coherency/quarantine-records.ts';
import { getAll, writeAll } from '#functions/index/batch-requests.ts';

/** Where bodies are kept: the backup bucket and the index that records where each one lies. */
export interface BodyStoreTarget {
  readonly bucket: string;
  readonly table: string;
}

/** Bodies of a pack, by their plaintext: a pack closes once it holds this many bytes. */
export const PACK_TARGET_BYTES = 16 * 1024 * 1024;

/** Where each of these bodies lies, for those the index has a location of. */
export async function locateBodies(
  table: string,
  shas: Iterable<string>,
): Promise<Map<string, BodyLocation>> {
  const unique = [...new Set(shas)];
  const found = new Map<string, BodyLocation>();
  if (unique.length === 0) return found;
  const items = await getAll(
    table,
    unique.map((sha) => ({ pk: indexKeys.blob(sha), sk: indexKeys.location })),
  );
  for (const item of items) {
    const location = locationOf(item);
    if (location) found.set(location.sha256, location);
  }
  return found;
}

/** The bodies of a pack (by its trailer) that are still read from it: their location names it, and there. */
export async function liveBodies(
  table: string,
  pack: string,
  bodies: readonly PackedBody[],
): Promise<PackedBody[]> {
  const located = await locateBodies(
    table,
    bodies.map((b) => b.sha256),
  );
  return bodies.filter((b) => {
    const at = located.get(b.sha256);
    return at?.pack === pack && at.offset === b.offset;
  });
}

/** What writing bodies into packs did. */
export interface PackedBodies {
  readonly packs: string[];
  /** Bodies written (each once). */
  readonly written: number;
  /** Bytes of the packs. */
  readonly bytes: number;
}

/**
 * Writes bodies into new packs (each pack closed at `targetBytes` of bodies), then records where each one
 * lies, with the references `heldRefs` names for it (see `locationItem`). The location is written only after
 * its pack is durable, so a location never names a pack that is not there. The caller has checked each body
 * against its digest.
 */
export async function packBodies(
  target: BodyStoreTarget,
  bodies: readonly StoredBody[],
  targetBytes = PACK_TARGET_BYTES,
  heldRefs: ReadonlyMap<string, readonly string[]> = new Map(),
): Promise<PackedBodies> {
  const unique = [...new Map(bodies.map((b) => [b.sha256, b])).values()];
  const groups: StoredBody[][] = [];
  let current: StoredBody[] = [];
  let size = 0;
  for (const body of unique) {
    if (current.length > 0 && size + body.content.length > targetBytes) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push(body);
    size += body.content.length;
  }
  if (current.length > 0) groups.push(current);
  const packs: string[] = [];
  let bytes = 0;
  await inParallel(groups, 2, async (group) => {
    const pack = await putPack(target.bucket, group);
    const at = new Date().toISOString();
    await writeAll(
      target.table,
      pack.bodies.map((body) => ({
        PutRequest: { Item: locationItem(body, at, heldRefs.get(body.sha256)) },
      })),
    );
    packs.push(pack.key);
    bytes += pack.size;
  });
  return { packs, written: unique.length, bytes };
}

/** Writes one new pack of these bodies; where each one lies in it. */
export async function putPack(
  bucket: string,
  bodies: readonly { sha256: string; content: Uint8Array }[],
): Promise<{ key: string; size: number; bodies: BodyLocation[] }> {
  const pack = encodePack(bodies);
  const key = packKey(pack.sha256);
  await s3().send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: pack.bytes,
      ContentType: 'application/octet-stream',
      Metadata: { format: PACK_FORMAT, sha256: pack.sha256, bodies: String(pack.bodies.length) },
    }),
  );
  return { key, size: pack.bytes.length, bodies: pack.bodies.map((body) => ({ ...body, pack: key })) };
}

/**
 * Moves a body's location from `from` to `to` unless it changed meanwhile (a purge dropped it, or another
 * move won); whether it moved. An update, not a put: the references the item holds stay whatever they are now.
 */
export async function moveLocation(
  table: string,
  from: BodyLocation,
  to: BodyLocation,
  at: string,
): Promise<boolean> {
  try {
    const { pk, sk, ...fields } = locationItem(to, at);
    const names = Object.keys(fields);
    await dynamodb().send(
      new UpdateCommand({
        TableName: table,
        Key: { pk, sk },
        UpdateExpression: `SET ${names.map((_, i) => `#f${i} = :f${i}`).join(', ')}`,
        ConditionExpression: '#pack = :pack AND #offset = :offset',
        ExpressionAttributeNames: {
          '#pack': 'pack',
          '#offset': 'offset',
          ...Object.fromEntries(names.map((name, i) => [`#f${i}`, name])),
        },
        ExpressionAttributeValues: {
          ':pack': from.pack,
          ':offset': from.offset,
          ...Object.fromEntries(names.map((name, i) => [`:f${i}`, fields[name]])),
        },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}

/** A pack's trailer: its last 64 KiB first, the rest of the trailer when it is longer. */
export async function trailerOf(bucket: string, key: string, size: number): Promise<PackedBody[]> {
  const guess = Math.min(size, 64 * 1024);
  let tail = await readBytes(bucket, key, size - guess, size);
  if (tail.length < PACK_FOOTER_BYTES) throw new PackError(`${key} is shorter than a pack footer`);
  const needed = trailerLength(tail.subarray(tail.length - PACK_FOOTER_BYTES)) + PACK_FOOTER_BYTES;
  if (needed > tail.length && needed <= size) tail = await readBytes(bucket, key, size - needed, size);
  return readTrailer(tail, size);
}

/** The bytes `[start, end)` of an object. */
export async function readBytes(bucket: string, key: string, start: number, end: number): Promise<Buffer> {
  const got = await s3().send(
    new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end - 1}` }),
  );
  return objectBody(got, end - start);
}

/** Why a body could not be read: the item it belongs to is reported with this. */
export interface BodyProblem {
  readonly reason: 'read-error' | 'broken-item' | 'digest-mismatch';
  readonly detail: string;
}

export interface BodyWant {
  readonly sha256: string;
  /** The most its plaintext may be (the item's recorded size, with room): larger is a damaged record. */
  readonly maxSize: number;
}

export interface ReadOptions {
  readonly concurrency?: number;
  /** Asked between requests; true stops the reading (the operation was stopped). */
  readonly stopped?: () => Promise<boolean>;
}

/**
 * Reads bodies and hands each one, checked against its digest, to `deliver` — or the reason it cannot be
 * read. Packed bodies are read with ranged GETs, neighbours in one request; a body without a location is
 * read from its own object (`blobs/…`). A pack that is gone is looked up again once (a repack may have
 * moved its bodies). Throttling and network failures throw. Returns whether it was stopped.
 */
export async function readBodies(
  target: BodyStoreTarget,
  wants: readonly BodyWant[],
  deliver: (sha256: string, body: Buffer | BodyProblem) => Promise<void>,
  options: ReadOptions = {},
): Promise<boolean> {
  const limits = new Map<string, number>();
  for (const want of wants) limits.set(want.sha256, Math.max(limits.get(want.sha256) ?? 0, want.maxSize));
  const stopped = options.stopped ?? (async () => false);
  const concurrency = options.concurrency ?? 8;
  type Job =
    | { kind: 'single'; sha256: string }
    | { kind: 'range'; range: ReturnType<typeof readRanges>[number] };
  /** The reads of a share of the bodies, once they are located (coalesced within the share). */
  const jobsOf = async (shas: string[]): Promise<Job[]> => {
    const located = await locateBodies(target.table, shas);
    return [
      ...readRanges([...located.values()]).map((range): Job => ({ kind: 'range', range })),
      ...shas.filter((sha) => !located.has(sha)).map((sha256): Job => ({ kind: 'single', sha256 })),
    ];
  };
  const run = async (job: Job): Promise<void> => {
    if (job.kind === 'single') {
      const sha256 = job.sha256;
      await deliver(sha256, await readSingle(target, sha256, limits.get(sha256) ?? 0));
      return;
    }
    const read = await readRange(target.bucket, job.range);
    if (read === 'gone') {
      // Moved by a repack since it was located? Read from where the index says now, or report it.
      const again = await locateBodies(
        target.table,
        job.range.bodies.map((b) => b.sha256),
      );
      for (const body of job.range.bodies) {
        const now = again.get(body.sha256);
        const limit = limits.get(body.sha256) ?? 0;
        if (now && now.pack !== body.pack) {
          const retry = await readRange(target.bucket, {
            pack: now.pack,
            start: now.offset,
            end: now.offset + now.length,
          });
          if (retry !== 'gone') {
            await deliver(body.sha256, frameBody(retry, now, limit));
            continue;
          }
        }
        await deliver(body.sha256, {
          reason: 'read-error',
          detail: `pack ${body.pack} holding body ${body.sha256} is missing from the bucket${await quarantineNote(target.table, body.pack)}`,
        });
      }
      return;
    }
    for (const body of job.range.bodies)
      await deliver(body.sha256, frameBody(read, body, limits.get(body.sha256) ?? 0));
  };
  // Bodies are located a share at a time, the next share while this one's ranges are read: the index's
  // lookups and S3's reads overlap instead of adding up.
  const shas = [...limits.keys()];
  const shares: string[][] = [];
  for (let at = 0; at < shas.length; at += LOCATE_SHARE) shares.push(shas.slice(at, at + LOCATE_SHARE));
  let next = shares[0] ? jobsOf(shares[0]) : Promise.resolve([]);
  try {
    for (let i = 0; i < shares.length; i++) {
      const jobs = await next;
      next = shares[i + 1] ? jobsOf(shares[i + 1] as string[]) : Promise.resolve([]);
      // Taken on the next turn, or awaited below when this share fails or is stopped.
      next.catch(() => undefined);
      if (await inParallelUnlessStopped(jobs, concurrency, stopped, run, 4)) return true;
    }
    return false;
  } finally {
    // No lookup goes on behind a caller that has moved on.
    await next.catch(() => undefined);
  }
}

/** Bodies located at once while the share before is read (three BatchGetItem requests). */
const LOCATE_SHARE = 300;

/** The bytes `[start, end)` of a pack, as far as they are there; 'gone' when the pack is not. */
async function readRange(
  bucket: string,
  range: { pack: string; start: number; end: number },
): Promise<{ start: number; bytes: Buffer } | 'gone'> {
  if (range.end <= range.start) return { start: range.start, bytes: Buffer.alloc(0) };
  try {
    const got = await s3().send(
      new GetObjectCommand({
        Bucket: bucket,
        Key: range.pack,
        Range: `bytes=${range.start}-${range.end - 1}`,
      }),
    );
    return { start: range.start, bytes: await objectBody(got, range.end - range.start) };
  } catch (error) {
    if (isNotFound(error)) return 'gone';
    // A pack shorter than the range asked (truncated): S3 answers 416 when the range starts past its end.
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 416)
      return { start: range.start, bytes: Buffer.alloc(0) };
    throw error;
  }
}

function frameBody(
  read: { start: number; bytes: Buffer },
  body: BodyLocation,
  maxSize: number,
): Buffer | BodyProblem {
  const where = `body ${body.sha256} in pack ${body.pack} at ${body.offset}`;
  if (body.size > maxSize)
    return {
      reason: 'broken-item',
      detail: `${where} is recorded as ${body.size} bytes, more than its item's`,
    };
  const from = body.offset - read.start;
  if (from + body.length > read.bytes.length)
    return { reason: 'broken-item', detail: `${where} lies past the end of the pack (truncated?)` };
  try {
    return bodyOfFrame(read.bytes.subarray(from, from + body.length), body);
  } catch (error) {
    if (!(error instanceof PackError)) throw error;
    return {
      reason: error.digestMismatch ? 'digest-mismatch' : 'broken-item',
      detail: `${where} ${error.message}`,
    };
  }
}

/** A body stored alone under `blobs/` (as scans uploaded them before packs). */
async function readSingle(
  target: BodyStoreTarget,
  sha256: string,
  maxSize: number,
): Promise<Buffer | BodyProblem> {
  const key = blobKey(sha256);
  let stored: Uint8Array;
  let codec: string | undefined;
  try {
    const got = await s3().send(new GetObjectCommand({ Bucket: target.bucket, Key: key }));
    stored = await objectBody(got, storedLimit(maxSize));
    codec = got.Metadata?.codec;
  } catch (error) {
    if (error instanceof PlaintextError)
      return { reason: 'broken-item', detail: `blob ${key} ${error.message}` };
    if (isNotFound(error))
      return {
        reason: 'read-error',
        detail: `blob ${key} is missing from the bucket${await quarantineNote(target.table, key)}`,
      };
    throw error;
  }
  let body: Buffer;
  try {
    body = plaintextOf(stored, codec, maxSize);
  } catch (error) {
    if (!(error instanceof PlaintextError)) throw error;
    return { reason: 'broken-item', detail: `blob ${key} ${error.message}` };
  }
  const actual = sha256Hex(body);
  if (actual !== sha256)
    return { reason: 'digest-mismatch', detail: `blob ${key} holds content with SHA-256 ${actual}` };
  return body;
}
