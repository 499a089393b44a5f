import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { blobKey } from '#core/blob-key.ts';
import { indexKeys } from '#core/index-keys.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';
import { setS3 } from '#functions/clients/s3.ts';
import { putJson } from '#functions/restore/operation-objects.ts';
import { purgeCatalogEntry } from '#functions/retention/purge-catalog-entry.ts';
import { candidatesPrefix } from '#functions/retention/purge-mailbox.ts';
import { sweepBlobs } from '#functions/retention/sweep-blobs.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { startTestCloud } from '#test/integration/harness.ts';
import { indexTable, useLocalIndex } from '#test/support/index-checks.ts';

// moto enforces what fauxqs ignores: versioning, Object Lock and conditional puts; a purge under Object Lock.
describe('backup bucket controls on moto', () => {
  let cloud: LocalCloud;
  before(async () => {
    cloud = await startTestCloud({ context: { offsite: { objectLock: { mode: 'GOVERNANCE', days: 1 } } } });
  });
  after(async () => {
    await cloud?.stop();
  });

  it('creates the bucket versioned, and Object Lock refuses to delete a locked version', async () => {
    const bucket = cloud.outputs.BackupBucketName ?? '';
    const versioning = await cloud.clients.s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
    assert.equal(versioning.Status, 'Enabled');
    const put = await cloud.clients.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'servers/s/redo/1/a',
        Body: 'x',
        ChecksumAlgorithm: 'SHA256',
      }),
    );
    assert.ok(put.VersionId);
    await assert.rejects(
      cloud.clients.s3.send(
        new DeleteObjectCommand({ Bucket: bucket, Key: 'servers/s/redo/1/a', VersionId: put.VersionId }),
      ),
      (e: unknown) => (e as { name?: string }).name === 'AccessDenied',
    );
  });

  it('a purge leaves a blob Object Lock holds, says until when, and the first purge after that date takes it', async () => {
    const bucket = cloud.outputs.BackupBucketName ?? '';
    const table = indexTable(cloud);
    const db = useLocalIndex(cloud);
    setS3(cloud.clients.s3);
    const body = Buffer.from('Subject: locked\r\n\r\nkept by the lock\r\n');
    const sha256 = sha256Hex(body);
    // Long enough for the checks before it to run on a loaded machine; the test then waits the lock out.
    const until = new Date(Date.now() + 12_000);
    await cloud.clients.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: blobKey(sha256),
        Body: body,
        Metadata: { sha256 },
        ObjectLockMode: 'GOVERNANCE',
        ObjectLockRetainUntilDate: until,
        ChecksumAlgorithm: 'SHA256',
      }),
    );
    // A redo segment under the same lock, catalogued and indexed.
    const segment = {
      pk: indexKeys.server('srv-lock'),
      sk: indexKeys.segment('1', '0'),
      s3Key: 'servers/srv-lock/redo/1/0-9.x',
      state: 'indexed',
    };
    await cloud.clients.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: segment.s3Key,
        Body: 'redo bytes',
        ObjectLockMode: 'GOVERNANCE',
        ObjectLockRetainUntilDate: until,
        ChecksumAlgorithm: 'SHA256',
      }),
    );
    await db.send(new PutCommand({ TableName: table, Item: segment }));
    const purgeTarget = { indexTable: table, backupBucket: bucket };
    const held = await purgeCatalogEntry(purgeTarget, 'op', segment, false);
    assert.equal(held.outcome, 'locked');
    await cloud.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: segment.s3Key }));
    const first = '00000000-0000-4000-8000-0000000000a1';
    await putJson(bucket, `${candidatesPrefix(first)}000000-test.json`, [
      { sha256, ref: indexKeys.blobRef('srv-lock', 1, 1) },
    ]);
    const locked = await sweepBlobs({ indexTable: table, backupBucket: bucket }, first, false);
    assert.equal(locked.blobsDeleted, 0);
    assert.equal(locked.blobsLocked, 1);
    assert.ok(Math.abs(Date.parse(locked.lockedUntil ?? '') - until.getTime()) < 1000, locked.lockedUntil);
    // Not even hidden by a delete marker: it is simply still there.
    await cloud.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: blobKey(sha256) }));
    const waiting = await db.send(
      new GetCommand({ TableName: table, Key: { pk: indexKeys.waitingBlobs, sk: sha256 } }),
    );
    assert.equal(waiting.Item?.lockedUntil, locked.lockedUntil);

    await new Promise((resolve) => setTimeout(resolve, until.getTime() - Date.now() + 1000));
    const later = await sweepBlobs(
      { indexTable: table, backupBucket: bucket },
      '00000000-0000-4000-8000-0000000000a2',
      false,
    );
    assert.equal((await purgeCatalogEntry(purgeTarget, 'op', segment, false)).outcome, 'purged');
    const entry = await db.send(
      new GetCommand({ TableName: table, Key: { pk: segment.pk, sk: segment.sk } }),
    );
    assert.equal(entry.Item?.state, 'purged', 'a later purge takes the segment too');
    setS3(undefined);
    assert.equal(
      later.blobsDeleted,
      1,
      'a later purge, with no candidate of its own, takes the waiting blob',
    );
    await assert.rejects(
      cloud.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: blobKey(sha256) })),
    );
    const gone = await db.send(
      new GetCommand({ TableName: table, Key: { pk: indexKeys.waitingBlobs, sk: sha256 } }),
    );
    assert.equal(gone.Item, undefined);
  });

  it('refuses a second write of a write-once key with If-None-Match', async () => {
    const bucket = cloud.outputs.BackupBucketName ?? '';
    await cloud.clients.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'blobs/ab/once',
        Body: 'a',
        IfNoneMatch: '*',
        ChecksumAlgorithm: 'SHA256',
      }),
    );
    await assert.rejects(
      cloud.clients.s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: 'blobs/ab/once',
          Body: 'b',
          IfNoneMatch: '*',
          ChecksumAlgorithm: 'SHA256',
        }),
      ),
      (e: unknown) => /PreconditionFailed/.test(String((e as { name?: string }).name)),
    );
  });
});
