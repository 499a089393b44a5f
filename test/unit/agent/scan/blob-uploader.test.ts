import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { BlobUploader } from '#agent/scan/blob-uploader.ts';
import { RateLimiter } from '#agent/ship/rate-limiter.ts';
import { sha256OfDigest } from '#core/scan/scan-snapshot.ts';
import { zimbraDigest } from '#core/zimbra-digest.ts';

describe('a blob scan that may not read the bucket', () => {
  it('sends nothing for a body the agent API says is stored, and reads no file for it', async () => {
    const calls: string[] = [];
    const s3 = { send: async (c: object) => void calls.push(c.constructor.name) } as unknown as S3Client;
    const uploader = new BlobUploader({ s3, bucket: 'b', volumes: {}, limiter: new RateLimiter(undefined) });
    const digest = zimbraDigest(Buffer.from('Subject: stored\r\n\r\nbody\r\n'));
    uploader.markKnown([sha256OfDigest(digest) as string]);
    // No volume is configured: had the uploader looked for the file, it would report an unknown volume.
    const outcome = await uploader.ensure({
      mailboxId: 1,
      itemId: 300,
      digest,
      volumeId: '1',
      modContent: 9,
    });
    assert.deepEqual(outcome, { state: 'present', sha256: sha256OfDigest(digest), bytes: 0 });
    assert.deepEqual(calls, [], 'no request at all');
    assert.equal(uploader.counts.skipped, 1);
  });
});
