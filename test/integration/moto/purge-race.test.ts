// moto only: the bucket must be versioned (as the stack makes it) for a deleted blob to be put back.
// The purge's blob sweep against an indexer that refers to a blob again while it is being deleted (a
// redelivered message): the interleavings are forced by hooking the S3 client the sweep uses, so each
// race happens every run, against real S3 semantics and the real index table.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { blobKey } from '#core/blob-key.ts';
import { INCOMING_REF_HOURS, indexKeys } from '#core/index-keys.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';
import { setS3 } from '#functions/clients/s3.ts';
import { incomingRefItem } from '#functions/index/load-entities.ts';
import { rewriteMarkedBodies } from '#functions/index/store-bodies.ts';
import { putJson } from '#functions/restore/operation-objects.ts';
import { candidatesPrefix } from '#functions/retention/purge-mailbox.ts';
import { sweepBlobs } from '#functions/retention/sweep-blobs.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { startTestCloud } from '#test/integration/harness.ts';
import { indexTable, useLocalIndex } from '#test/support/index-checks.ts';

describe('purge sweep racing the indexer', () => {
  let cloud: LocalCloud;
  let bucket: string;
  let table: string;
  let n = 0;
  const serverId = 'srv-race';

  /** A stored blob whose last reference a purge removed: a candidate of operation `op`. */
  async function candidate(op: string): Promise<{ sha256: string; body: Buffer }> {
    const body = Buffer.from(`Subject: race ${++n}\r\n\r\nbody ${n}\r\n`);
    const sha256 = sha256Hex(body);
    await cloud.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: blobKey(sha256), Body: body, Metadata: { sha256 } }),
    );
    await putJson(bucket, `${candidatesPrefix(op)}000000-test.json`, [
      { sha256, ref: indexKeys.blobRef(serverId, 1, n) },
    ]);
    return { sha256, body };
  }
  async function stored(sha256: string): Promise<Buffer | undefined> {
    try {
      const got = await cloud.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: blobKey(sha256) }));
      return Buffer.from(
        await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      );
    } catch {
      return undefined;
    }
  }
  /** The S3 client the sweep uses, running `hook` just before it deletes a blob. */
  function hookDelete(hook: () => Promise<void>): void {
    const real = cloud.clients.s3;
    setS3({
      send: async (command: unknown) => {
        if (command instanceof DeleteObjectCommand) await hook();
        return real.send(command as never);
      },
    } as unknown as S3Client);
  }

  before(async () => {
    // The sweep's races, not Object Lock (bucket-controls covers it): every blob would be locked 30 days.
    cloud = await startTestCloud({ context: { offsite: { objectLock: false } } });
    bucket = cloud.outputs.BackupBucketName as string;
    table = indexTable(cloud);
    useLocalIndex(cloud);
    setS3(cloud.clients.s3);
  });
  after(async () => {
    setS3(undefined);
    await cloud?.stop();
  });

  it('deletes a blob nothing refers to any more, and marks it', async () => {
    setS3(cloud.clients.s3);
    const { sha256 } = await candidate('00000000-0000-4000-8000-000000000001');
    const report = await sweepBlobs(
      { indexTable: table, backupBucket: bucket },
      '00000000-0000-4000-8000-000000000001',
      false,
    );
    assert.equal(report.blobsDeleted, 1);
    assert.equal(await stored(sha256), undefined);
    await assert.rejects(
      cloud.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: blobKey(sha256) })),
    );
    const marker = await useLocalIndex(cloud).send(
      new GetCommand({ TableName: table, Key: { pk: indexKeys.blob(sha256), sk: indexKeys.purged } }),
    );
    assert.ok(marker.Item, 'the purge marked the blob');
  });

  it('keeps a body stored as incoming and not linked yet, until its incoming reference is a day old', async () => {
    setS3(cloud.clients.s3);
    const incoming = async (op: string, age: number) => {
      const { sha256, body } = await candidate(op);
      // As the indexer writes it for a StoreIncomingBlob whose CreateMessage is in a later segment.
      await useLocalIndex(cloud).send(
        new PutCommand({
          TableName: table,
          Item: incomingRefItem(
            serverId,
            { path: `/opt/zimbra/data/mailboxd/incoming/${n}-1.msg`, sha256, size: body.length },
            Date.now() - age,
          ),
        }),
      );
      return { sha256, report: await sweepBlobs({ indexTable: table, backupBucket: bucket }, op, false) };
    };
    const fresh = await incoming('00000000-0000-4000-8000-000000000004', 60_000);
    assert.equal(fresh.report.blobsKept, 1);
    assert.ok(await stored(fresh.sha256), 'the incoming body stays');
    const stale = await incoming(
      '00000000-0000-4000-8000-000000000005',
      (INCOMING_REF_HOURS + 1) * 3_600_000,
    );
    assert.equal(stale.report.blobsDeleted, 1, 'a body never linked within a day is not held for ever');
    assert.equal(await stored(stale.sha256), undefined);
  });

  it('puts a blob back when a reference appears between its checks and its delete', async () => {
    const op = '00000000-0000-4000-8000-000000000002';
    const { sha256, body } = await candidate(op);
    hookDelete(async () => {
      await useLocalIndex(cloud).send(
        new PutCommand({
          TableName: table,
          Item: { pk: indexKeys.blob(sha256), sk: indexKeys.blobRef(serverId, 2, 9), size: body.length },
        }),
      );
    });
    const report = await sweepBlobs({ indexTable: table, backupBucket: bucket }, op, false);
    setS3(cloud.clients.s3);
    assert.equal(report.blobsRestored, 1);
    assert.equal(report.blobsDeleted, 0);
    assert.deepEqual(await stored(sha256), body, 'the body is back, byte for byte');
  });

  it('an indexer that found the blob stored before the delete writes it again when it sees the marker', async () => {
    const op = '00000000-0000-4000-8000-000000000003';
    const { sha256, body } = await candidate(op);
    // The indexer's HEAD saw the blob (so it did not write it); the sweep deletes it; then the indexer writes
    // its reference and, seeing the purge's marker, the body.
    const report = await sweepBlobs({ indexTable: table, backupBucket: bucket }, op, false);
    assert.equal(report.blobsDeleted, 1);
    assert.equal(await stored(sha256), undefined);
    const written = await rewriteMarkedBodies({ table, bucket }, [{ sha256, content: body }]);
    assert.equal(written, 1);
    const back = await stored(sha256);
    assert.ok(back, 'the body is stored again');
    // The indexer stores bodies zstd-compressed with their digest in metadata; the bytes decode to the body.
    const head = await cloud.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: blobKey(sha256) }));
    assert.equal(head.Metadata?.sha256, sha256);
    // A body without a marker is left alone.
    assert.equal(
      await rewriteMarkedBodies({ table, bucket }, [{ sha256: sha256Hex('x'), content: Buffer.from('x') }]),
      0,
    );
  });
});
