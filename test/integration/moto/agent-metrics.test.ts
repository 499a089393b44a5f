// moto only (fauxqs has no CloudWatch): a running agent publishes its lag where the stack's alarm looks,
// and the AWS CLI reads it back.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { AgentStatus } from '#agent/ship/agent-status.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { eventually, startTestCloud } from '#test/integration/harness.ts';
import { LOCAL_AWS_ENV, offsite, startAgent, writeAgentConfig } from '#test/support/agent-cli.ts';

const run = promisify(execFile);

describe('agent lag metrics', () => {
  let cloud: LocalCloud;
  const work = mkdtempSync(join(tmpdir(), 'offsite-metrics-'));
  before(async () => {
    cloud = await startTestCloud();
  });
  after(async () => {
    await cloud?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('AgentLagSeconds and AgentLagBytes reach CloudWatch, over all agents and per server', async () => {
    const sim = new MailHostSimulator({ hostDir: join(work, 'host'), seed: 4, accounts: 2 });
    sim.run(40);
    const configFile = join(work, 'agent.json');
    writeAgentConfig(configFile, cloud, {
      serverId: 'srv-metrics',
      zimbraHome: sim.hostDir,
      stateDir: join(work, 'state'),
      pollMs: 20,
      metrics: { intervalSeconds: 1 },
    });
    const aws = async (args: string[]) =>
      JSON.parse(
        (
          await run('aws', [...args, '--endpoint-url', cloud.endpoints.s3, '--output', 'json'], {
            env: LOCAL_AWS_ENV,
          })
        ).stdout,
      ) as Record<string, unknown>;
    const lagStatistics = async () => {
      const now = Date.now();
      return (await aws([
        'cloudwatch',
        'get-metric-statistics',
        '--namespace',
        'Offsite',
        '--metric-name',
        'AgentLagSeconds',
        '--dimensions',
        'Name=ServerId,Value=srv-metrics',
        '--start-time',
        new Date(now - 600_000).toISOString(),
        '--end-time',
        new Date(now + 60_000).toISOString(),
        '--period',
        '60',
        '--statistics',
        'Maximum',
        'SampleCount',
      ])) as { Datapoints: { Maximum: number; SampleCount: number }[] };
    };
    const samples = async () => (await lagStatistics()).Datapoints.reduce((n, d) => n + d.SampleCount, 0);
    const agent = startAgent(configFile);
    try {
      await eventually(
        async () => {
          const { stdout } = await offsite(['agent', 'status', '--config', configFile, '--json']);
          const s = JSON.parse(stdout) as AgentStatus;
          return s.announced && s.spool.entries === 0 ? true : undefined;
        },
        30_000,
        'the agent to ship the log',
      );
      // Published once a second: wait for three samples, however slow the machine.
      await eventually(async () => ((await samples()) >= 3 ? true : undefined), 60_000, 'three lag samples');
    } finally {
      await agent.kill('SIGTERM');
    }
    const stderr = agent.log();
    assert.equal(await agent.exited, 0, stderr);
    assert.doesNotMatch(stderr, /cannot publish lag metrics/);

    const listed = (await aws(['cloudwatch', 'list-metrics', '--namespace', 'Offsite'])) as {
      Metrics: { MetricName: string; Dimensions: { Name: string; Value: string }[] }[];
    };
    // moto lists a dimensionless metric once per put: compare the distinct series.
    const series = [
      ...new Set(
        listed.Metrics.map(
          (m) => `${m.MetricName}${m.Dimensions.map((d) => ` ${d.Name}=${d.Value}`).join('')}`,
        ),
      ),
    ].sort();
    assert.deepEqual(series, [
      'AgentLagBytes',
      'AgentLagBytes ServerId=srv-metrics',
      'AgentLagSeconds',
      'AgentLagSeconds ServerId=srv-metrics',
    ]);
    const stats = await lagStatistics();
    // Caught up within the run: the worst lag is a few seconds, not the simulated clock's hours.
    assert.ok(Math.max(...stats.Datapoints.map((d) => d.Maximum)) < 30, JSON.stringify(stats.Datapoints));
  });
});
