// A large object goes up in parts, several at once, and comes back intact; a failed part leaves no object
// and no open upload behind.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { RateLimiter } from '#agent/ship/rate-limiter.ts';
import { uploadObject } from '#agent/ship/upload-object.ts';
import type { RunningEmulator } from '#local/emulators/child-emulator.ts';
import { startFauxqs } from '#local/emulators/fauxqs.ts';

const MiB = 1024 * 1024;

describe('multipart uploads', () => {
  let emulator: RunningEmulator;
  let s3: S3Client;
  /** Commands as they start and end, to see how many parts were in flight at once. */
  let inflight = 0;
  let peak = 0;
  const commands: string[] = [];
  let failPart: number | undefined;

  before(async () => {
    emulator = await startFauxqs(0);
    s3 = new S3Client({
      region: 'us-east-1',
      endpoint: emulator.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        const name = context.commandName ?? '';
        commands.push(name);
        if (name !== 'UploadPartCommand') return next(args);
        const part = (args.input as { PartNumber?: number }).PartNumber;
        inflight++;
        peak = Math.max(peak, inflight);
        try {
          if (part === failPart) throw Object.assign(new Error('connection reset'), { name: 'TimeoutError' });
          return await next(args);
        } finally {
          inflight--;
        }
      },
      { step: 'initialize' },
    );
    await s3.send(new CreateBucketCommand({ Bucket: 'parts' }));
  });
  after(async () => {
    s3?.destroy();
    await emulator?.stop();
  });

  const put = (key: string, body: Buffer) =>
    uploadObject(s3, {
      bucket: 'parts',
      key,
      body,
      metadata: { sha256: 'x' },
      multipartThreshold: 5 * MiB,
      partSize: 5 * MiB,
      partConcurrency: 3,
      limiter: new RateLimiter(undefined),
    });

  it('sends parts three at a time and stores the object intact', async () => {
    const body = randomBytes(17 * MiB); // four parts, the last one short
    peak = 0;
    commands.length = 0;
    assert.equal(await put('whole', body), 'stored');
    assert.equal(commands.filter((c) => c === 'UploadPartCommand').length, 4);
    assert.equal(peak, 3, 'three parts in flight at once');
    const got = await s3.send(new GetObjectCommand({ Bucket: 'parts', Key: 'whole' }));
    const bytes = Buffer.from(
      await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    assert.ok(bytes.equals(body), 'the parts are in order');
  });

  it('a failed part fails the upload, starts no further part and aborts the multipart upload', async () => {
    commands.length = 0;
    failPart = 2;
    try {
      await assert.rejects(put('broken', randomBytes(30 * MiB)), /connection reset/);
    } finally {
      failPart = undefined;
    }
    const parts = commands.filter((c) => c === 'UploadPartCommand').length;
    assert.ok(parts <= 4, `${parts} parts started of 6: the three in flight and at most one more`);
    assert.equal(commands.at(-1), 'AbortMultipartUploadCommand');
    await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: 'parts', Key: 'broken' })));
  });
});
