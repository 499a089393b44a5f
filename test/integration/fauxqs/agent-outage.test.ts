// fauxqs only: many announcements (see agent-shipping.test.ts).
// S3 and SQS vanish behind a loopback proxy while `offsite agent run` follows a growing log: it keeps
// reading, spools up to its bound (warning first), backs off, and catches up when they return.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentStatus } from '#agent/ship/agent-status.ts';
import { listRedoLogFiles } from '#core/redo/list-redo-log-files.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { eventually, startTestCloud } from '#test/integration/harness.ts';
import { offsite, startAgent, writeAgentConfig } from '#test/support/agent-cli.ts';
import { checkCatalog } from '#test/support/catalog-checks.ts';
import { assertShippedLikeDisk } from '#test/support/shipped-redo.ts';
import { startTcpProxy, type TcpProxy } from '#test/support/tcp-proxy.ts';

// `npm test` keeps it short; the soak suite sets minutes (OFFSITE_OUTAGE_MS).
const OUTAGE_MS = Number(process.env.OFFSITE_OUTAGE_MS ?? 8000);

describe('the agent rides out an S3/SQS outage', () => {
  let cloud: LocalCloud;
  let proxy: TcpProxy;
  const work = mkdtempSync(join(tmpdir(), 'offsite-outage-'));
  before(async () => {
    cloud = await startTestCloud();
    proxy = await startTcpProxy(cloud.endpoints.s3);
  });
  after(async () => {
    await proxy?.close();
    await cloud?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  for (const form of ['refused', 'blackholed'] as const)
    it(`connections ${form}: keeps following, spools within its bound, and catches up with nothing lost`, () =>
      rideOut(form));

  async function rideOut(form: 'refused' | 'blackholed'): Promise<void> {
    const bucket = cloud.outputs.BackupBucketName as string;
    const serverId = `srv-outage-${form}`;
    const sim = new MailHostSimulator({
      hostDir: join(work, form, 'host'),
      seed: 13,
      accounts: 4,
      rolloverBytes: 40 * 1024,
    });
    const configFile = join(work, form, 'agent.json');
    writeAgentConfig(configFile, cloud, {
      serverId,
      zimbraHome: sim.hostDir,
      stateDir: join(work, form, 'state'),
      // A silent connection is given up after 2 s (30 by default).
      aws: { endpoint: proxy.url, idleTimeoutSeconds: 2 },
      pollMs: 5,
      // fauxqs has no CloudWatch (the moto suite tests the lag metrics).
      metrics: { enabled: false },
      segment: { maxMiB: 4 / 1024, maxAgeSeconds: 0.05 },
      upload: { concurrency: 3, maxBackoffSeconds: 1 },
      spool: { maxMiB: 96 / 1024, warnPercent: 50 },
    });
    const status = async (): Promise<AgentStatus> => {
      return JSON.parse(
        (await offsite(['agent', 'status', '--config', configFile, '--json'])).stdout,
      ) as AgentStatus;
    };
    const caughtUp = async () => {
      const s = await status();
      return s.spool.entries === 0 &&
        s.lagBytes === 0 &&
        s.lastError === null &&
        s.cursor?.sequence === String(sim.redo.sequence)
        ? s
        : undefined;
    };
    const write = async (steps: number) => {
      for (let i = 0; i < steps; i++) {
        sim.step();
        if (i % 10 === 0) await sleep(10);
      }
    };

    const agent = startAgent(configFile);
    let during: AgentStatus;
    let recoveredMs: number;
    let outageStart = 0;
    try {
      await write(150);
      await eventually(caughtUp, 30_000, 'the agent to catch up before the outage');

      await (form === 'refused' ? proxy.down() : proxy.blackhole());
      outageStart = Date.now();
      await write(400);
      during = await eventually(
        async () => {
          const s = await status();
          return s.lastError && s.spool.entries > 0 ? s : undefined;
        },
        10_000,
        'the agent to notice the outage',
      );
      // The log says when the spool is full (however slow the machine), then the outage lasts its length.
      await eventually(
        async () => (agent.log().includes('the spool is full') ? true : undefined),
        60_000,
        'the spool to fill up during the outage',
      );
      await sleep(Math.max(0, OUTAGE_MS - (Date.now() - outageStart)));
      during = await status();

      await proxy.up();
      const upAt = Date.now();
      await eventually(caughtUp, 60_000, 'the agent to catch up after the outage');
      recoveredMs = Date.now() - upAt;
    } finally {
      await agent.kill('SIGTERM');
    }
    const stderr = agent.log();
    assert.equal(await agent.exited, 0, stderr);

    // During the outage: errors recorded, lag grew, the spool filled to its bound and reading paused.
    assert.ok(
      during.lagBytes > 0 && during.lagSeconds > 0,
      `lag during the outage: ${JSON.stringify(during)}`,
    );
    assert.ok(during.spool.bytes <= during.spool.maxBytes, 'the spool stays within its bound');
    const outageLog = stderr
      .split('\n')
      .filter((line) => line && Date.parse((JSON.parse(line) as { time: string }).time) >= outageStart)
      .join('\n');
    assert.match(
      outageLog,
      form === 'refused'
        ? /shipping failed; segments stay spooled.*ECONNREFUSED/
        : /shipping failed; segments stay spooled.*(timed out|timeout|socket hang up)/i,
    );
    assert.match(outageLog, /the spool is filling up/);
    assert.match(outageLog, /the spool is full: reading the redo log pauses/);
    assert.match(outageLog, /shipping resumed/);

    sim.rollover();
    const shipped = await offsite(['agent', 'ship-once', '--config', configFile, '--json']);
    assert.equal(shipped.code, 0, shipped.stderr);
    assert.deepEqual((JSON.parse(shipped.stdout) as { gaps: unknown[] }).gaps, []);
    await assertShippedLikeDisk(
      cloud.clients.s3,
      bucket,
      serverId,
      listRedoLogFiles(join(sim.hostDir, 'redolog')),
    );
    await checkCatalog(cloud, serverId);
    process.stdout.write(
      `# soak ${JSON.stringify({ step: `S3/SQS outage, connections ${form}`, outageSeconds: OUTAGE_MS / 1000, lagSeconds: during.lagSeconds, spoolBytes: during.spool.bytes, spoolMaxBytes: during.spool.maxBytes, caughtUpSeconds: recoveredMs / 1000, lost: 0 })}\n`,
    );
  }
});
