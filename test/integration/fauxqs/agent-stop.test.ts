// Stopping the daemon (SIGTERM → abort) while segments are uploaded but cannot be announced: it returns
// once its stop grace is over and leaves them spooled for the next start, which announces them.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { parseAgentConfig } from '#agent/config/agent-config.ts';
import { memoryLog } from '#agent/observability.ts';
import { Shipper } from '#agent/ship/shipper.ts';
import type { RunningEmulator } from '#local/emulators/child-emulator.ts';
import { startFauxqs } from '#local/emulators/fauxqs.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

describe('stopping the agent', () => {
  let emulator: RunningEmulator;
  const work = mkdtempSync(join(tmpdir(), 'offsite-stop-'));
  before(async () => {
    emulator = await startFauxqs(0);
  });
  after(async () => {
    await emulator?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('returns while announcements fail, and the next start announces what was uploaded', async () => {
    const endpoint = emulator.endpoint;
    const s3 = new S3Client({
      region: 'us-east-1',
      endpoint,
      forcePathStyle: true,
      credentials,
      maxAttempts: 1,
    });
    const sqs = new SQSClient({ region: 'us-east-1', endpoint, credentials });
    await s3.send(new CreateBucketCommand({ Bucket: 'stop' }));
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'stop.fifo', Attributes: { FifoQueue: 'true' } }),
    );
    const sim = new MailHostSimulator({ hostDir: join(work, 'host'), seed: 2, accounts: 2 });
    sim.run(60);
    const config = parseAgentConfig({
      serverId: 'srv-stop',
      zimbraHome: sim.hostDir,
      stateDir: join(work, 'state'),
      aws: { region: 'us-east-1', bucket: 'stop', ingestQueueUrl: QueueUrl, endpoint },
      pollMs: 5,
      segment: { maxAgeSeconds: 0.05 },
      upload: { maxBackoffSeconds: 0.2, stopGraceSeconds: 1 },
    });
    // SQS is unreachable (nothing listens on port 9); S3 works.
    const deadSqs = new SQSClient({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      credentials,
      maxAttempts: 1,
    });
    const first = await Shipper.open({ config, s3, sqs: deadSqs, log: memoryLog() });
    const controller = new AbortController();
    const running = first.run(controller.signal);
    const deadline = Date.now() + 10_000;
    const allUploaded = () => first.spool.list().length > 0 && first.spool.list().every((e) => e.uploaded);
    while (!(allUploaded() && first.state.data.lastError) && Date.now() < deadline) await sleep(10);
    assert.ok(allUploaded(), 'every spooled segment uploaded');
    assert.equal(first.state.data.announced, null, 'nothing announced');
    controller.abort();
    const stopped = await Promise.race([running.then(() => true), sleep(5000).then(() => false)]);
    assert.ok(stopped, 'run() returned within 5 s of the abort (a grace of 1 s)');

    const second = await Shipper.open({ config, s3, sqs, log: memoryLog() });
    const spooled = second.spool.list().length;
    assert.ok(spooled > 0, 'the uploaded segments stayed spooled');
    const report = await second.shipOnce();
    assert.ok(report.announced >= spooled, `${report.announced} announced`);
    assert.equal(second.spool.list().length, 0);
  });
});
