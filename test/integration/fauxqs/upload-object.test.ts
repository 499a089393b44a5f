// How the agent puts an object: a large one goes up in parts, several at once, read from its spooled file part
// by part, and comes back intact; a failed part leaves no object and no open upload behind. And upload.maxMiBps is a cap shared by all
// concurrent uploads, single puts and multipart alike: the bytes reach S3 intact and never faster than the cap
// (a lower bound on time, so a slow machine cannot fail it).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { RateLimiter } from '#agent/ship/rate-limiter.ts';
import { bufferBody, fileBody } from '#agent/ship/upload-body.ts';
import { uploadObject } from '#agent/ship/upload-object.ts';
import type { RunningEmulator } from '#local/emulators/child-emulator.ts';
import { startFauxqs } from '#local/emulators/fauxqs.ts';

const MiB = 1024 * 1024;

let emulator: RunningEmulator;
const clients: S3Client[] = [];
const dir = mkdtempSync(join(tmpdir(), 'offsite-upload-'));
/** `body` as a file the upload reads as it sends, as the agent's spool is read. */
function spooled(name: string, body: Buffer) {
  const path = join(dir, name);
  writeFileSync(path, body);
  return fileBody(path, body.length);
}
/** A client of the emulator (a test may add middleware to its own). */
function client(): S3Client {
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: emulator.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  clients.push(s3);
  return s3;
}
before(async () => {
  emulator = await startFauxqs(0);
  await client().send(new CreateBucketCommand({ Bucket: 'uploads' }));
});
after(async () => {
  for (const s3 of clients) s3.destroy();
  await emulator?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('multipart uploads', () => {
  let s3: S3Client;
  /** Commands as they start and end, to see how many parts were in flight at once. */
  let inflight = 0;
  let peak = 0;
  const commands: string[] = [];
  let failPart: number | undefined;

  before(() => {
    s3 = client();
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
  });

  const put = (key: string, body: Buffer) =>
    uploadObject(s3, {
      bucket: 'uploads',
      key,
      body: spooled(key, body),
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
    const got = await s3.send(new GetObjectCommand({ Bucket: 'uploads', Key: 'whole' }));
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
    await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: 'uploads', Key: 'broken' })));
  });
});

describe('upload pacing', () => {
  let s3: S3Client;
  before(() => {
    s3 = client();
  });

  async function upload(bodies: Buffer[], limiter: RateLimiter): Promise<number> {
    const started = performance.now();
    await Promise.all(
      bodies.map((body, i) =>
        uploadObject(s3, {
          bucket: 'uploads',
          key: `object-${bodies.length}-${i}`,
          body: bufferBody(body),
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
        new GetObjectCommand({ Bucket: 'uploads', Key: `object-${bodies.length}-${i}` }),
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
