// fauxqs only: moto's SQS (about 30 sends/s, slow long polling) cannot carry this many announcements in time.
// The agent follows a simulated mail host's redo log while it is written and rolled over, and ships it to
// the local cloud: every byte of every file ends up in S3 exactly once, and the files rebuild byte for byte.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { zstdDecompressSync } from 'node:zlib';
import { parseAgentConfig } from '#agent/config/agent-config.ts';
import { memoryLog } from '#agent/observability.ts';
import { Shipper } from '#agent/ship/shipper.ts';
import { parseFileHeader } from '#core/redo/file-header.ts';
import { listRedoLogFiles } from '#core/redo/list-redo-log-files.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { eventually, startTestCloud } from '#test/integration/harness.ts';
import { checkCatalog } from '#test/support/catalog-checks.ts';
import { listShippedRedo, rebuildFiles } from '#test/support/shipped-redo.ts';

const STEPS = 700;

describe('the agent ships a live redo log', () => {
  let cloud: LocalCloud;
  const work = mkdtempSync(join(tmpdir(), 'offsite-ship-'));
  before(async () => {
    cloud = await startTestCloud();
  });
  after(async () => {
    await cloud?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const bucket = () => cloud.outputs.BackupBucketName as string;

  /** Runs the workload with the agent following it; returns the simulator and the agent's server id. */
  async function shipWorkload(name: string, deleteOnRollover: boolean) {
    const sim = new MailHostSimulator({
      hostDir: join(work, name),
      seed: 21,
      accounts: 4,
      rolloverBytes: 40 * 1024,
      deleteOnRollover,
    });
    const config = parseAgentConfig({
      serverId: `srv-${name}`,
      zimbraHome: sim.hostDir,
      stateDir: join(work, `${name}-state`),
      aws: { region: 'us-east-1', bucket: bucket(), ingestQueueUrl: cloud.outputs.IngestQueueUrl },
      pollMs: 5,
      segment: { maxMiB: 16 / 1024, maxAgeSeconds: 0.05 },
      upload: { concurrency: 3 },
    });
    const log = memoryLog();
    const shipper = await Shipper.open({
      config,
      s3: cloud.clients.s3,
      sqs: cloud.clients.sqs,
      log,
    });
    const controller = new AbortController();
    const running = shipper.run(controller.signal);
    /** Until the agent has shipped file `sequence` to its end and opened the next one. */
    const readPast = async (sequence: bigint) => {
      const deadline = Date.now() + 20_000;
      const opened = () => {
        const c = shipper.state.data.cursor;
        return c && BigInt(c.sequence) > sequence && c.offset > 0;
      };
      while (!opened() && Date.now() < deadline) await sleep(5);
      assert.ok(opened(), `the agent read past file ${sequence}`);
    };
    // The agent follows the first file before the workload starts: with deletion on rollover, a file that
    // rolls before the follower first opens redo.log is gone (a first start begins at the live file).
    await eventually(
      async () => (shipper.state.data.cursor ? true : undefined),
      20_000,
      'the agent to start',
    );
    for (let i = 0; i < STEPS; i++) {
      const before = sim.redo.sequence;
      sim.step();
      if (i % 20 === 0) await sleep(1);
      // A deleted file can be read only through a handle opened before it went; a real server rolls at
      // 1 GiB, never twice between two polls, and the test keeps to that.
      if (sim.redo.sequence !== before) await readPast(before);
    }
    sim.rollover();
    const live = sim.redo.sequence;
    await eventually(
      async () => {
        const c = shipper.state.data.cursor;
        return c && BigInt(c.sequence) === live && c.offset >= 512 && shipper.spool.list().length === 0
          ? true
          : undefined;
      },
      60_000,
      'the agent to ship everything',
    );
    controller.abort();
    await running;
    assert.deepEqual(
      log.lines.filter((l) => l.level !== 'INFO'),
      [],
      'no warnings or errors',
    );
    return { sim, serverId: config.serverId, shipper };
  }

  it('with archives kept: the shipped objects rebuild every file byte for byte, and the indexer records each once', async () => {
    const { sim, serverId } = await shipWorkload('archives', false);
    const objects = await listShippedRedo(cloud.clients.s3, bucket(), serverId);
    const files = await rebuildFiles(cloud.clients.s3, bucket(), objects);
    const onDisk = listRedoLogFiles(join(sim.hostDir, 'redolog'));
    assert.ok(onDisk.length >= 5, `${onDisk.length} redo files`);
    assert.equal(files.size, onDisk.length);
    for (const path of onDisk) {
      const bytes = readFileSync(path);
      const sequence = parseFileHeader(bytes.subarray(0, 512)).sequence;
      assert.ok(files.get(sequence)?.equals(bytes), `file of sequence ${sequence} rebuilt byte for byte`);
    }
    assert.ok(
      objects.filter((o) => o.kind === 'segment').length > onDisk.length,
      'files were cut into several segments',
    );
    await checkCatalog(cloud, serverId);

    // The AWS CLI, an independent client, reads the same objects back.
    const copy = join(work, 'cli-copy');
    // Asynchronously: the emulators may run in this process.
    await promisify(execFile)(
      'aws',
      [
        's3',
        'cp',
        '--recursive',
        '--only-show-errors',
        `s3://${bucket()}/servers/${serverId}/redo/`,
        copy,
        '--endpoint-url',
        cloud.endpoints.s3,
      ],
      {
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          AWS_DEFAULT_REGION: 'us-east-1',
        },
      },
    );
    const first = objects.find((o) => o.kind === 'segment' && o.first === 0);
    assert.ok(first);
    const local = readFileSync(join(copy, first.key.split('/redo/')[1] as string));
    assert.ok(
      files.get(first.sequence)?.subarray(512, first.last).equals(zstdDecompressSync(local).subarray(512)),
    );
  });

  it('with deletion on rollover (the open-source default): every file is still shipped whole', async () => {
    const { sim, serverId } = await shipWorkload('deleting', true);
    assert.equal(
      listRedoLogFiles(join(sim.hostDir, 'redolog')).length,
      1,
      'only redo.log is left on the host',
    );
    // The same seeded workload with archives kept is the reference.
    const reference = new MailHostSimulator({
      hostDir: join(work, 'reference'),
      seed: 21,
      accounts: 4,
      rolloverBytes: 40 * 1024,
    });
    reference.run(STEPS);
    reference.rollover();
    const objects = await listShippedRedo(cloud.clients.s3, bucket(), serverId);
    const files = await rebuildFiles(cloud.clients.s3, bucket(), objects);
    const expected = listRedoLogFiles(join(reference.hostDir, 'redolog'));
    assert.equal(files.size, expected.length);
    for (const path of expected) {
      const bytes = readFileSync(path);
      const sequence = parseFileHeader(bytes.subarray(0, 512)).sequence;
      assert.ok(files.get(sequence)?.equals(bytes), `file of sequence ${sequence} rebuilt byte for byte`);
    }
    await checkCatalog(cloud, serverId);
  });
});
