// A fresh deployment left alone for a week: every default rule fires when due, and none starts an operation
// that can only fail (before, an hourly LDAP dump and a half-hourly reconcile of kinds not built yet failed
// 72 times a day, each announced); the daily drill of an empty index has nothing to restore and succeeds,
// saying so. No mail server is enrolled here: what agents do with their dispatches is tested with the agents.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Operation } from '#core/operation.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { ManualClock } from '#local/runtime/clock.ts';
import { eventually, startTestCloud } from '#test/integration/harness.ts';
import { offsite } from '#test/support/agent-cli.ts';

const DAY = 86_400_000;

/** The local cloud's queues and the ends of its functions' logs: what a stuck operation left behind. */
function diagnosisOf(cloud: LocalCloud): string {
  const queues = cloud.eventSources.map(
    (s) =>
      `${s.mapping.functionName}: ${s.stats.batches} batches, ${s.stats.deleted} deleted, ${s.stats.failed} failed`,
  );
  const logs = join(cloud.workDir, 'logs');
  const tails = readdirSync(logs)
    .filter((f) => /Auditor|Worker|Planner|Purger/.test(f))
    .map((f) => {
      // Its last log lines but metrics, each cut short.
      const lines = readFileSync(join(logs, f), 'utf8').split('\n');
      const last = lines.filter((l) => l && !l.startsWith('{"_aws"')).slice(-8);
      return `--- ${f}\n${last.map((l) => l.slice(0, 400)).join('\n')}`;
    });
  return `\nevent sources:\n${queues.join('\n')}\n${tails.join('\n')}`;
}

describe('a week of the default schedules', () => {
  // A Wednesday: the week ahead holds a Sunday (the purge) and the first of a month (the coherency check).
  const start = new Date('2026-11-25T00:00:00Z');
  const clock = new ManualClock(start);
  let cloud: LocalCloud;
  before(async () => {
    cloud = await startTestCloud({ clock, schedules: true });
  });
  after(async () => {
    await cloud?.stop();
  });

  it('fires every rule when due and ends with no failed operation', async () => {
    const expected = {
      'Offsite-sweep': 7 * 48,
      'Offsite-smartscan': 7,
      'Offsite-legal-hold': 7,
      'Offsite-drill': 7,
      'Offsite-purge': 1,
      'Offsite-coherency': 1,
    };
    const total = Object.values(expected).reduce((a, b) => a + b, 0);
    for (let day = 1; day <= 7; day++) {
      clock.advanceTo(new Date(start.getTime() + day * DAY));
      // Each day's firings, before the next day's (rules fire one after another on the manual clock).
      await eventually(
        async () =>
          cloud.schedules.firings.filter((f) => Date.parse(f.time) <= start.getTime() + day * DAY).length >=
          day * 51
            ? true
            : undefined,
        120_000,
        `the firings of day ${day}`,
      );
    }
    await eventually(
      async () => (cloud.schedules.firings.length >= total ? true : undefined),
      120_000,
      'every firing',
    );
    const byRule: Record<string, number> = {};
    for (const f of cloud.schedules.firings) {
      assert.equal(f.ok, true, `${f.rule} at ${f.time}: ${f.error}`);
      byRule[f.rule] = (byRule[f.rule] ?? 0) + 1;
    }
    assert.deepEqual(byRule, expected);

    const env = { OFFSITE_CONTROL_URL: cloud.outputs.ControlUrl as string };
    const scheduled = total - expected['Offsite-sweep'];
    let operations: Operation[] = [];
    const ended = await eventually(
      async () => {
        const out = await offsite(['ops', 'list', '--state', 'all', '--json'], env);
        assert.equal(out.code, 0, out.stderr);
        operations = (JSON.parse(out.stdout) as { operations: Operation[] }).operations;
        return operations.length === scheduled &&
          operations.every((o) => o.state !== 'queued' && o.state !== 'running')
          ? true
          : undefined;
      },
      180_000,
      'every scheduled operation to end',
    ).catch(() => false);
    const seen = operations.map(
      (o) =>
        `${o.kind} ${o.state}${o.state === 'running' ? ` ${o.done}+${o.failed} failed of ${o.total}` : ''}${o.error ? ` (${o.error})` : ''}`,
    );
    assert.ok(
      ended,
      `${operations.length} of ${scheduled} operations, not all ended: ${seen.join('; ')}${ended ? '' : diagnosisOf(cloud)}`,
    );
    const kinds: Record<string, number> = {};
    for (const op of operations) {
      assert.equal(op.state, 'succeeded', `${op.kind} ${op.id}: ${op.error}`);
      assert.equal(op.source, 'schedule');
      kinds[op.kind] = (kinds[op.kind] ?? 0) + 1;
    }
    assert.deepEqual(kinds, { smartscan: 7, 'legal-hold': 7, drill: 7, purge: 1, coherency: 1 });
  });
});
