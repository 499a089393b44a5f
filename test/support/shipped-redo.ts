import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { zstdDecompressSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { FILE_HEADER_SIZE, parseFileHeader } from '#core/redo/file-header.ts';

export interface ShippedObject {
  key: string;
  sequence: bigint;
  kind: 'segment' | 'seal';
  first: number;
  last: number;
  sha256: string;
}

/** Every redo object of a server in S3, parsed from its key (`<seq>/<first>-<last>.<sha>`, `<seq>/sealed-<size>.<sha>`). */
export async function listShippedRedo(
  s3: S3Client,
  bucket: string,
  serverId: string,
): Promise<ShippedObject[]> {
  const out: ShippedObject[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: `servers/${serverId}/redo/`,
        ContinuationToken: token,
      }),
    );
    for (const { Key } of page.Contents ?? []) {
      const m = /\/redo\/(\d+)\/(?:(\d+)-(\d+)|sealed-(\d+))\.([0-9a-f]{64})$/.exec(Key ?? '');
      if (!m) throw new Error(`unexpected key ${Key}`);
      const sealed = m[4] !== undefined;
      out.push({
        key: Key as string,
        sequence: BigInt(m[1] as string),
        kind: sealed ? 'seal' : 'segment',
        first: Number(sealed ? m[4] : m[2]),
        last: Number(sealed ? m[4] : m[3]),
        sha256: m[5] as string,
      });
    }
    token = page.NextContinuationToken;
  } while (token);
  return out.sort((a, b) =>
    a.sequence !== b.sequence ? (a.sequence < b.sequence ? -1 : 1) : a.first - b.first || a.last - b.last,
  );
}

/** An object's plaintext, verified against the digest in its key and its metadata. */
export async function fetchPlain(s3: S3Client, bucket: string, object: ShippedObject): Promise<Buffer> {
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.key }));
  const stored = Buffer.from(
    await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  );
  const plain = got.Metadata?.codec === 'zstd' ? zstdDecompressSync(stored) : stored;
  const digest = createHash('sha256').update(plain).digest('hex');
  if (digest !== object.sha256 || got.Metadata?.sha256 !== digest)
    throw new Error(`${object.key}: digest mismatch`);
  return plain;
}

/**
 * Rebuilds each redo file from its shipped objects: segments must tile [0, size) with no hole and no
 * overlap, and the seal's final header replaces the header shipped while the file was open.
 */
export async function rebuildFiles(
  s3: S3Client,
  bucket: string,
  objects: ShippedObject[],
): Promise<Map<bigint, Buffer>> {
  const files = new Map<bigint, Buffer>();
  const bySequence = Map.groupBy(objects, (o) => o.sequence);
  for (const [sequence, group] of bySequence) {
    const parts: Buffer[] = [];
    let at = 0;
    let seal: Buffer | undefined;
    for (const o of group) {
      if (o.kind === 'seal') {
        if (o.first !== at)
          throw new Error(`sequence ${sequence}: sealed at ${o.first} but segments end at ${at}`);
        seal = await fetchPlain(s3, bucket, o);
        continue;
      }
      if (o.first !== at)
        throw new Error(`sequence ${sequence}: segment ${o.first}-${o.last} does not follow ${at}`);
      parts.push(await fetchPlain(s3, bucket, o));
      at = o.last;
    }
    const file = Buffer.concat(parts);
    if (seal) seal.copy(file, 0);
    files.set(sequence, file);
  }
  return files;
}

/**
 * Asserts that every redo file in `paths` equals its rebuild from the server's objects in S3 (a live file
 * holding only its header may not be shipped yet). Returns the objects.
 */
export async function assertShippedLikeDisk(
  s3: S3Client,
  bucket: string,
  serverId: string,
  paths: readonly string[],
): Promise<ShippedObject[]> {
  const objects = await listShippedRedo(s3, bucket, serverId);
  const files = await rebuildFiles(s3, bucket, objects);
  for (const path of paths) {
    const bytes = readFileSync(path);
    const sequence = parseFileHeader(bytes.subarray(0, FILE_HEADER_SIZE)).sequence;
    if (bytes.length === FILE_HEADER_SIZE && !files.has(sequence)) continue;
    assert.ok(files.get(sequence)?.equals(bytes), `file of sequence ${sequence} rebuilt byte for byte`);
  }
  return objects;
}
