// upload.maxMiBps is a cap shared by all concurrent uploads, single puts and multipart alike: the bytes
// reach S3 intact and never faster than the cap (a lower bound on time, so a slow machine cannot fail it).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { RateLimiter } from '#agent/ship/rate-limiter.ts';
import { uploadObject } from '#agent/ship/upload-object.ts';
import type { RunningEmulator } from '#local/emulators/child-emulator.ts';
import { startFauxqs } from '#local/emulators/fauxqs.ts';

const MiB = 1024 * 1024;

describe('upload pacing', () => {
  let emulator: RunningEmulator;
  let s3: S3Client;
  before(async () => {
    emulator = await startFauxqs(0);
    s3 = new S3Client({
      region: 'us-east-1',
      endpoint: emulator.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await s3.send(new CreateBucketCommand({ Bucket: 'paced' }));
  });
  after(async () => {
    s3?.destroy();
    await emulator?.stop();
  });

  async function upload(bodies: Buffer[], limiter: RateLimiter): Promise<number> {
    const started = performance.now();
    await Promise.all(
      bodies.map((body, i) =>
        uploadObject(s3, {
          bucket: 'paced',
          key: `object-${bodies.length}-${i}`,
          body,
          metadata: {},
          multipartThreshold: 5 * MiB,
          partSize: 5 * MiB,
          limiter,
        }),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    for (const [i, body] of bodies.entries()) {
      const got = await s3.send(
        new GetObjectCommand({ Bucket: 'paced', Key: `object-${bodies.length}-${i}` }),
      );
      const bytes = Buffer.from(
        await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      );
      assert.ok(bytes.equals(body), `object ${i} intact`);
    }
    return seconds;
  }

  it('three concurrent puts share the cap', async () => {
    const bodies = [randomBytes(2 * MiB), randomBytes(2 * MiB), randomBytes(2 * MiB)];
    const seconds = await upload(bodies, new RateLimiter(4 * MiB));
    // 6 MiB at 4 MiB/s; the first 256 KiB chunk of each goes at once.
    assert.ok(seconds >= (6 * MiB - 3 * 256 * 1024) / (4 * MiB), `${seconds.toFixed(2)} s`);
  });

  it('a multipart upload is paced part by part', async () => {
    const body = randomBytes(12 * MiB);
    const seconds = await upload([body], new RateLimiter(8 * MiB));
    assert.ok(seconds >= (12 * MiB - 256 * 1024) / (8 * MiB), `${seconds.toFixed(2)} s`);
  });
});
