import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DeleteObjectCommand, GetBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { LocalCloud } from '#local/local-cloud.ts';
import { startTestCloud } from '#test/integration/harness.ts';

// moto enforces what fauxqs ignores: versioning, Object Lock and conditional puts.
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
