import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { indexKeys } from '#core/index-keys.ts';
import { type BodyLocation, locationOf } from '#core/storage/body-location.ts';
import { readTrailer } from '#core/storage/body-pack.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { LOCAL_AWS_ENV } from '#test/support/agent-cli.ts';
import { indexTable, useLocalIndex } from '#test/support/index-checks.ts';

// Tests look at packs from the outside: the index's location items and the packs' own bytes and trailers.

const bucketOf = (cloud: LocalCloud) => cloud.outputs.BackupBucketName as string;

/** Where the index says the body lies, or undefined. */
export async function bodyLocation(cloud: LocalCloud, sha256: string): Promise<BodyLocation | undefined> {
  const got = await useLocalIndex(cloud).send(
    new GetCommand({
      TableName: indexTable(cloud),
      Key: { pk: indexKeys.blob(sha256), sk: indexKeys.location },
      ConsistentRead: true,
    }),
  );
  return got.Item ? locationOf(got.Item) : undefined;
}

export async function objectBytes(cloud: LocalCloud, key: string): Promise<Buffer> {
  const got = await cloud.clients.s3.send(new GetObjectCommand({ Bucket: bucketOf(cloud), Key: key }));
  return Buffer.from(
    await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  );
}

/** The digests a pack's trailer lists. */
export async function bodiesInPack(cloud: LocalCloud, key: string): Promise<string[]> {
  const bytes = await objectBytes(cloud, key);
  return readTrailer(bytes, bytes.length).map((b) => b.sha256);
}

/** Rewrites the body's pack with one byte of its frame inverted (the rest of the pack untouched). */
export async function damageFrame(cloud: LocalCloud, location: BodyLocation): Promise<void> {
  const bytes = await objectBytes(cloud, location.pack);
  const at = location.offset + Math.floor(location.length / 2);
  bytes[at] = (bytes[at] ?? 0) ^ 0xff;
  await cloud.clients.s3.send(
    new PutObjectCommand({ Bucket: bucketOf(cloud), Key: location.pack, Body: bytes }),
  );
}

/**
 * The bodies stored, as an independent reader (the AWS CLI) lists them pack by pack, each body of a pack's
 * trailer counted where the index locates it (a dropped body's bytes may wait in a pack for a repack).
 */
export async function storedBodies(cloud: LocalCloud): Promise<Set<string>> {
  const { stdout } = await promisify(execFile)(
    'aws',
    ['s3', 'ls', `s3://${bucketOf(cloud)}/packs/`, '--recursive', '--endpoint-url', cloud.endpoints.s3],
    { env: LOCAL_AWS_ENV },
  );
  const packs = stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(/\s+/).at(-1) as string);
  const stored = new Set<string>();
  for (const pack of packs)
    for (const sha256 of await bodiesInPack(cloud, pack))
      if ((await bodyLocation(cloud, sha256))?.pack === pack) stored.add(sha256);
  return stored;
}
