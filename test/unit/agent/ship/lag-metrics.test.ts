import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { memoryLog } from '#agent/observability.ts';
import { lagMetricData, reportLag } from '#agent/ship/lag-metrics.ts';

describe('lag metrics', () => {
  it('go to the alarm’s namespace, without dimensions and per server', () => {
    const at = new Date('2026-11-22T10:00:00Z');
    const data = lagMetricData('mail1', { seconds: 12, bytes: 3456 }, at);
    assert.equal(data.Namespace, 'Offsite');
    assert.deepEqual(
      data.MetricData.map((m) => [m.MetricName, m.Dimensions.length, m.Value, m.Unit]),
      [
        ['AgentLagSeconds', 0, 12, 'Seconds'],
        ['AgentLagBytes', 0, 3456, 'Bytes'],
        ['AgentLagSeconds', 1, 12, 'Seconds'],
        ['AgentLagBytes', 1, 3456, 'Bytes'],
      ],
    );
  });

  it('a failing endpoint is logged once, retried, and reported when it recovers', async () => {
    let calls = 0;
    const cloudwatch = {
      send: async () => {
        calls++;
        if (calls <= 3) throw new Error('connect ECONNREFUSED');
        return {};
      },
    } as unknown as CloudWatchClient;
    const log = memoryLog();
    const controller = new AbortController();
    const done = reportLag(
      { cloudwatch, serverId: 'mail1', log, lag: () => ({ seconds: 0, bytes: 0 }) },
      1,
      controller.signal,
    );
    while (calls < 5) await new Promise((r) => setTimeout(r, 1));
    controller.abort();
    await done;
    assert.deepEqual(
      log.lines.map((l) => l.level),
      ['WARN', 'INFO'],
    );
  });
});
