import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startDynamodbLocal } from '#local/emulators/dynamodb-local.ts';
import { freePort } from '#local/emulators/ports.ts';
import { LocalCloudError } from '#local/errors.ts';
import { startLocalCloud } from '#local/local-cloud.ts';

describe('local cloud start-up errors', () => {
  it('names the port already in use instead of hanging', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      await assert.rejects(
        startLocalCloud({
          backend: 'fauxqs',
          workDir: mkdtempSync(path.join(tmpdir(), 'offsite-it-')),
          ports: { sqsS3: port, dynamodb: 0 },
        }),
        (e: unknown) =>
          e instanceof LocalCloudError &&
          e.message.includes(`port ${port}`) &&
          e.message.includes('already in use'),
      );
    } finally {
      blocker.close();
    }
  });

  it('says that Java is needed when it cannot be run', async () => {
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await assert.rejects(
        startDynamodbLocal(await freePort()),
        (e: unknown) => e instanceof LocalCloudError && /Java 17/.test(e.message),
      );
    } finally {
      process.env.PATH = saved;
    }
  });
});
