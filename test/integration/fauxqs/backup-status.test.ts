// "Is my backup current?" answered truly: the agent reports what it announced, the index says what it
// applied, and `offsite status` shows the difference, also while announced segments wait in the queue.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ServerStatus } from '#core/control-api.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import type { SqsEventSource } from '#local/runtime/sqs-event-source.ts';
import { eventually, startTestCloud } from '#test/integration/harness.ts';
import { offsite, type RunningAgent, startAgent, writeAgentConfig } from '#test/support/agent-cli.ts';
import { localControl } from '#test/support/local-control.ts';

const SERVER = 'srv-status';

describe('offsite status: what was shipped against what is indexed', () => {
  const work = mkdtempSync(join(tmpdir(), 'offsite-status-'));
  let cloud: LocalCloud;
  let sim: MailHostSimulator;
  let agent: RunningAgent | undefined;
  let configFile: string;
  let indexer: SqsEventSource;

  before(async () => {
    cloud = await startTestCloud();
    const found = cloud.eventSources.find(
      (s) => s.mapping.queueUrl === cloud.outputs.IngestQueueUrl && /Indexer/.test(s.mapping.functionName),
    );
    assert.ok(
      found,
      `the indexer's event source, among ${cloud.eventSources.map((s) => s.mapping.functionName)}`,
    );
    indexer = found;
    sim = new MailHostSimulator({ hostDir: join(work, 'host'), seed: 21, accounts: 2 });
    sim.run(60);
    configFile = writeAgentConfig(join(work, 'agent.json'), cloud, {
      serverId: SERVER,
      zimbraHome: sim.hostDir,
      stateDir: join(work, 'state'),
      metrics: { enabled: false },
      control: { url: cloud.outputs.AgentControlUrl as string, pollSeconds: 60, reportSeconds: 0.2 },
    });
    agent = startAgent(configFile);
  });
  after(async () => {
    await agent?.kill('SIGKILL');
    await cloud?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const url = () => cloud.outputs.ControlUrl as string;
  async function status(): Promise<ServerStatus> {
    const out = await offsite(['status', '--server', SERVER, '--json', '--url', url()]);
    assert.ok(out.code === 0 || out.code === 1, out.stderr);
    const body = JSON.parse(out.stdout) as { servers: ServerStatus[] };
    return body.servers[0] as ServerStatus;
  }
  /**
   * What the agent itself says it announced, once it has announced everything the log holds now. Its lag
   * alone cannot tell: the live position it counts from is written every few seconds, so right after the
   * log grew the agent may still say "nothing waits" with the announcement before.
   */
  async function shippedAll(): Promise<{ sequence: string; offset: number }> {
    const end = sim.redo.position();
    const logEnd = { sequence: String(end.sequence), offset: end.offset };
    return eventually(
      async () => {
        const out = await offsite(['agent', 'status', '--config', configFile, '--json']);
        const s = JSON.parse(out.stdout) as {
          spool: { entries: number };
          announced: { sequence: string; offset: number } | null;
        };
        return s.spool.entries === 0 &&
          s.announced?.sequence === logEnd.sequence &&
          s.announced.offset === logEnd.offset
          ? logEnd
          : undefined;
      },
      60_000,
      `the agent to announce the log up to ${logEnd.sequence}:${logEnd.offset}`,
    );
  }
  const reported = (announced: { sequence: string; offset: number }) =>
    eventually(
      async () => {
        const s = await status();
        return s.agent?.announced?.sequence === announced.sequence &&
          s.agent.announced.offset === announced.offset
          ? s
          : undefined;
      },
      30_000,
      'the agent to report what it announced',
    );

  it('is current once the index has applied all the agent announced', async () => {
    const announced = await shippedAll();
    await reported(announced);
    const current = await eventually(
      async () => {
        const s = await status();
        return s.behind.bytes === 0 ? s : undefined;
      },
      60_000,
      'the index to apply everything announced',
    );
    assert.deepEqual(current.index.appliedTo, announced);
    assert.equal(current.behind.seconds, 0);
    assert.equal(current.index.state, 'ok');
    assert.ok(current.agent?.announced?.lastOpTime, 'the time of the last record shipped');
    const human = await offsite(['status', '--url', url()]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /SERVER\s+AGENT CONTACT\s+SHIPPED UP TO\s+APPLIED UP TO\s+BEHIND\s+INDEXING/);
    assert.match(human.stdout, new RegExp(`${SERVER}\\s.*current\\s+ok`));
  });

  it('shows the bytes and seconds announced but not indexed while the indexer is held', async () => {
    const before = await status();
    await indexer.pause();
    try {
      sim.run(40);
      const announced = await shippedAll();
      const s = await reported(announced);
      const applied = before.index.appliedTo as { sequence: string; offset: number };
      assert.deepEqual(s.index.appliedTo, applied, 'nothing was indexed meanwhile');
      assert.ok(s.behind.bytes !== null && s.behind.bytes > 0, JSON.stringify(s.behind));
      if (announced.sequence === applied.sequence)
        assert.equal(s.behind.bytes, announced.offset - applied.offset);
      assert.ok(s.behind.seconds !== null && s.behind.seconds >= 0);
      const list = await offsite(['backup', 'list', '--server', SERVER, '--url', url()]);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /agent: shipped up to .*last contact .* ago; indexed up to .*; behind: \d/);
      // What `backup list` asks for: the restore points and the status in one request, one read of the index.
      const control = localControl(cloud);
      const combined = await control.call('restorePoints', { serverId: SERVER }, { query: { status: '1' } });
      assert.ok(combined.status, 'the status comes with the restore points');
      assert.deepEqual(combined.status.index, s.index, 'the index is held: its part does not move');
      // The agent reports on: compare with a status asked for separately at the same report.
      await eventually(
        async () => {
          const [both, alone] = await Promise.all([
            control.call('restorePoints', { serverId: SERVER }, { query: { status: '1' } }),
            control.call('serverStatus', { serverId: SERVER }),
          ]);
          return both.status?.agent?.receivedAt === alone.agent?.receivedAt &&
            JSON.stringify(both.status) === JSON.stringify(alone)
            ? true
            : undefined;
        },
        30_000,
        'restore points with status=1 to carry the status serverStatus gives',
      );
      const { status: _, ...points } = combined;
      assert.deepEqual(points, await control.call('restorePoints', { serverId: SERVER }));
      await assert.rejects(
        control.call('restorePoints', { serverId: SERVER }, { query: { status: 'yes' } }),
        /query parameter "status": expected 1/,
      );
    } finally {
      indexer.resume();
    }
    const caughtUp = await eventually(
      async () => {
        const s = await status();
        return s.behind.bytes === 0 ? s : undefined;
      },
      60_000,
      'the index to catch up once the indexer runs again',
    );
    assert.deepEqual(
      caughtUp.index.appliedTo,
      caughtUp.agent?.announced && {
        sequence: caughtUp.agent.announced.sequence,
        offset: caughtUp.agent.announced.offset,
      },
    );
  });

  it('reports where shipping ended when the agent stops', async () => {
    const running = agent as RunningAgent;
    assert.equal(await running.kill('SIGTERM'), 0, running.log());
    agent = undefined;
    const announced = await shippedAll();
    const s = await reported(announced);
    assert.ok(s.agent && Date.parse(s.agent.receivedAt) > 0);
  });
});
