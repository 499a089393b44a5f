import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { RateLimiter } from '#agent/ship/rate-limiter.ts';
import { bufferBody } from '#agent/ship/upload-body.ts';
import { uploadObject } from '#agent/ship/upload-object.ts';
import { indexKeys } from '#core/index-keys.ts';
import { blobKey, packKey } from '#core/storage/body-keys.ts';
import { locationItem } from '#core/storage/body-location.ts';
import { encodePack } from '#core/storage/body-pack.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';
import { setS3 } from '#functions/clients/s3.ts';
import { putJson } from '#functions/restore/operation-objects.ts';
import { purgeCatalogEntry } from '#functions/retention/purge-catalog-entry.ts';
import { candidatesPrefix } from '#functions/retention/purge-mailbox.ts';
import { repackPacks } from '#functions/retention/repack-packs.ts';
import { sweepBlobs } from '#functions/retention/sweep-blobs.ts';
import { locateBodies, readBodies } from '#functions/storage/body-store.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { startTestCloud } from '#test/integration/harness.ts';
import { indexTable, useLocalIndex } from '#test/support/index-checks.ts';
import { localControl } from '#test/support/local-control.ts';

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

  it('a repack merges small packs under Object Lock, and deletes them once the lock has run out', async () => {
    const bucket = cloud.outputs.BackupBucketName ?? '';
    const table = indexTable(cloud);
    const db = useLocalIndex(cloud);
    setS3(cloud.clients.s3);
    const until = new Date(Date.now() + 12_000);
    const body = (text: string) => {
      const content = Buffer.from(`Subject: ${text}\r\n\r\n${text}\r\n`);
      return { sha256: sha256Hex(content), content };
    };
    const [live1, dead, live2] = [body('live one'), body('dropped'), body('live two')];
    // Two small packs as the indexer writes them, locked for a few seconds; one body of the first is dropped.
    const packs: string[] = [];
    for (const group of [[live1, dead], [live2]]) {
      const pack = encodePack(group);
      const key = packKey(pack.sha256);
      await cloud.clients.s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: pack.bytes,
          ObjectLockMode: 'GOVERNANCE',
          ObjectLockRetainUntilDate: until,
          ChecksumAlgorithm: 'SHA256',
        }),
      );
      for (const b of pack.bodies)
        if (b.sha256 !== dead.sha256)
          await db.send(
            new PutCommand({
              TableName: table,
              Item: locationItem({ ...b, pack: key }, new Date().toISOString()),
            }),
          );
      packs.push(key);
    }
    const target = { indexTable: table, backupBucket: bucket };
    const merged = await repackPacks(target, '00000000-0000-4000-8000-0000000000b1', new Set(), false);
    assert.equal(merged.packsWritten, 1);
    assert.equal(merged.bodiesMoved, 2);
    assert.equal(merged.packsLocked, 2, 'the old packs wait for their date');
    const moved = await locateBodies(table, [live1.sha256, live2.sha256]);
    const into = moved.get(live1.sha256)?.pack;
    assert.ok(
      into && !packs.includes(into) && moved.get(live2.sha256)?.pack === into,
      'both in one new pack',
    );
    for (const key of packs) await cloud.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));

    await new Promise((resolve) => setTimeout(resolve, until.getTime() - Date.now() + 1000));
    const later = await repackPacks(target, '00000000-0000-4000-8000-0000000000b2', new Set(), false);
    assert.equal(later.packsDeleted, 2, 'nothing live in them, and the lock has run out');
    for (const key of packs)
      await assert.rejects(cloud.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })));
    let read = 0;
    await readBodies(
      { bucket, table },
      [live1, live2].map((b) => ({ sha256: b.sha256, maxSize: 1024 })),
      async (_, got) => {
        assert.ok(Buffer.isBuffer(got), JSON.stringify(got));
        read++;
      },
    );
    assert.equal(read, 2);
    setS3(undefined);
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

  it("keeps what is stored against an agent's second write", async () => {
    const bucket = cloud.outputs.BackupBucketName ?? '';
    const key = `servers/srv-once/redo/1/512-517.${'a'.repeat(64)}`;
    const upload = (body: string) =>
      uploadObject(cloud.clients.s3, {
        bucket,
        key,
        body: bufferBody(Buffer.from(body)),
        metadata: {},
        multipartThreshold: 1024 * 1024,
        partSize: 5 * 1024 * 1024,
        limiter: new RateLimiter(undefined),
      });
    assert.equal(await upload('first'), 'stored');
    assert.equal(await upload('other'), 'exists', 'refused by If-None-Match, taken as there');
    const stored = await cloud.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    assert.equal(await stored.Body?.transformToString(), 'first');
  });

  it('tells an agent that may not read the bucket which bodies are stored for sure: located, or verified and not purged', async () => {
    const db = useLocalIndex(cloud);
    const table = indexTable(cloud);
    const [verified, purged, unknown, located] = ['1', '2', '3', '4'].map((c) => c.repeat(64)) as [
      string,
      string,
      string,
      string,
    ];
    await db.send(
      new PutCommand({
        TableName: table,
        Item: locationItem(
          {
            sha256: located,
            pack: packKey('5'.repeat(64)),
            offset: 0,
            length: 9,
            size: 9,
            codec: 'none',
            keyId: 'none',
          },
          new Date().toISOString(),
        ),
      }),
    );
    for (const [sha, sk] of [
      [verified, indexKeys.verified],
      [purged, indexKeys.verified],
      [purged, indexKeys.purged],
    ] as const)
      await db.send(new PutCommand({ TableName: table, Item: { pk: indexKeys.blob(sha), sk, etag: 'e' } }));
    const api = localControl(cloud, 'AgentControlUrl');
    const answer = await api.request<{ known: string[] }>('POST', '/servers/srv-once/blobs/known', {
      sha256: [verified, purged, unknown, located],
    });
    assert.deepEqual(answer.known, [verified, located]);
    await assert.rejects(
      api.request('POST', '/servers/srv-once/blobs/known', { sha256: ['not-a-digest'] }),
      /400/,
    );
  });
});
