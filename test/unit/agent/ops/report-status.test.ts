import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAgentConfig } from '#agent/config/agent-config.ts';
import { ControlClient } from '#agent/control-client.ts';
import { createAgentLog } from '#agent/observability.ts';
import { reportOf, reportStatus } from '#agent/ops/report-status.ts';
import type { AgentStatus } from '#agent/ship/agent-status.ts';
import { agentReportSchema } from '#core/operations/agent-reports.ts';

const config = parseAgentConfig({
  serverId: 'mail1',
  zimbraHome: '/opt/zimbra',
  stateDir: '/tmp/none',
  aws: {
    region: 'us-east-1',
    bucket: 'backups',
    ingestQueueUrl: 'https://sqs.us-east-1.amazonaws.com/1/q.fifo',
  },
  control: { url: 'https://agent.example.com/', reportSeconds: 0.05 },
});

/** A control client whose requests go to `answer` instead of the network (the contract builds the path). */
function stubControl(answer: (path: string, body: unknown) => Promise<void>): ControlClient {
  return new (class extends ControlClient {
    override async request<T>(_method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
      await answer(path, body);
      return {} as T;
    }
  })({
    url: 'https://agent.example.com/',
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
}

function statusAt(offset: number, lagSeconds = 0): AgentStatus {
  return {
    serverId: 'mail1',
    lagSeconds,
    lagBytes: 0,
    cursor: { sequence: '3', offset },
    announced: {
      id: 'x',
      key: 'k',
      sequence: '3',
      offset,
      at: '2026-12-06T10:00:00.000Z',
      lastOpTime: '2026-12-06T09:59:59.000Z',
    },
    live: { sequence: '3', offset, at: '2026-12-06T10:00:00.000Z' },
    spool: { entries: 0, bytes: 0, maxBytes: 1, percent: 0 },
    lastLdapDump: null,
    lastLdapError: null,
    lastError: { at: '2026-12-06T09:00:00.000Z', message: 'x'.repeat(5000) },
    gaps: [{ fromSequence: '1', toSequence: '1', detectedAt: '2026-12-06T08:00:00.000Z' }],
  };
}

describe('the agent reporting what it shipped', () => {
  it('reports in the shape the agent API accepts (long errors cut, gaps counted)', () => {
    const report = reportOf(statusAt(4096), '0.1.0');
    assert.deepEqual(agentReportSchema.parse(report), report);
    assert.equal(report.lastError?.message.length, 1000);
    assert.equal(report.gaps, 1);
    assert.equal(report.announced?.lastOpTime, '2026-12-06T09:59:59.000Z');
  });

  it('sends when what was shipped changes (not when only the lag ticks), and once more when stopping', async () => {
    const posted: { path: string; body: { announced: { offset: number } } }[] = [];
    let offset = 100;
    let tick = 0;
    const control = stubControl(async (path, body) => {
      posted.push({ path, body: body as { announced: { offset: number } } });
    });
    const stop = new AbortController();
    const reporting = reportStatus(
      {
        config,
        control,
        log: createAgentLog(undefined, true),
        status: async () => {
          tick++;
          if (tick === 4) offset = 200;
          if (tick === 8) stop.abort();
          return statusAt(offset, tick);
        },
      },
      stop.signal,
    );
    await reporting;
    assert.deepEqual(
      posted.map((p) => p.body.announced.offset),
      [100, 200, 200],
      'the first, the change, the last word',
    );
    assert.ok(posted.every((p) => p.path === '/servers/mail1/agent-report'));
  });

  it('keeps going when the agent API is away', async () => {
    let calls = 0;
    const control = stubControl(async () => {
      calls++;
      if (calls < 3) throw new Error('connect ECONNREFUSED');
    });
    const stop = new AbortController();
    await reportStatus(
      {
        config,
        control,
        log: createAgentLog(undefined, true),
        status: async () => {
          if (calls >= 3) stop.abort();
          return statusAt(100);
        },
      },
      stop.signal,
    );
    assert.ok(calls >= 3);
  });
});
