// Schedules as an operator changes them: `offsite schedule set` writes the stack configuration (validated as
// a deployment would), and the local cloud synthesized from it fires the rule at the new time, creating the
// operation the scheduler makes of it.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Operation } from '#core/operation.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { ManualClock } from '#local/runtime/clock.ts';
import { eventually, startTestCloud } from '#test/integration/harness.ts';
import { offsite } from '#test/support/agent-cli.ts';

describe('schedules changed with offsite schedule', () => {
  const work = mkdtempSync(join(tmpdir(), 'offsite-schedules-'));
  const contextFile = join(work, 'cdk.json');
  const clock = new ManualClock(new Date('2026-11-22T01:00:00Z'));
  let cloud: LocalCloud | undefined;
  before(() => copyFileSync('cdk.json', contextFile));
  after(async () => {
    await cloud?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('refuses an expression EventBridge would refuse, and leaves the configuration as it was', async () => {
    const before = readFileSync(contextFile, 'utf8');
    const out = await offsite([
      'schedule',
      'set',
      'smartscan',
      'cron(61 1 * * ? *)',
      '--context-file',
      contextFile,
    ]);
    assert.equal(out.code, 2);
    assert.match(out.stderr, /schedules\.smartscan/);
    assert.equal(readFileSync(contextFile, 'utf8'), before);
  });

  it('sets the nightly smart scan to 01:30 and the local cloud fires it then', async () => {
    const out = await offsite([
      'schedule',
      'set',
      'smartscan',
      'cron(30 1 * * ? *)',
      '--context-file',
      contextFile,
      '--json',
    ]);
    assert.equal(out.code, 0, out.stderr);
    const shown = JSON.parse(out.stdout) as {
      schedules: { job: string; expression: string; custom: boolean; next: string[] }[];
    };
    const smartscan = shown.schedules.find((s) => s.job === 'smartscan');
    assert.equal(smartscan?.custom, true);
    assert.equal(smartscan?.expression, 'cron(30 1 * * ? *)');
    assert.equal(
      shown.schedules.find((s) => s.job === 'purge')?.custom,
      false,
      'the others keep their defaults',
    );
    const document = JSON.parse(readFileSync(contextFile, 'utf8')) as { context: Record<string, unknown> };
    assert.equal(document.context['@aws-cdk/core:checkSecretUsage'], true, 'the rest of the file is kept');

    cloud = await startTestCloud({ clock, schedules: true, context: { offsite: document.context.offsite } });
    const control = cloud.outputs.ControlUrl as string;
    clock.advanceTo(new Date('2026-11-22T01:30:00Z'));
    const firing = await eventually(
      async () => cloud?.schedules.firings.find((f) => f.rule === 'Offsite-smartscan'),
      30_000,
      'the smart scan rule to fire',
    );
    assert.equal(firing.ok, true, firing.error);
    assert.equal(firing.time, '2026-11-22T01:30:00Z');
    const op = await eventually(
      async () => {
        const listed = await offsite(['ops', 'list', '--state', 'all', '--kind', 'smartscan', '--json'], {
          OFFSITE_CONTROL_URL: control,
        });
        const found = (JSON.parse(listed.stdout) as { operations: Operation[] }).operations[0];
        return found && found.state !== 'queued' && found.state !== 'running' ? found : undefined;
      },
      30_000,
      'the scheduled smart scan to finish',
    );
    assert.equal(op.source, 'schedule');
    // No server has shipped to this deployment: nothing to dispatch, and it says so.
    assert.equal(op.state, 'succeeded');
    assert.match(String(op.result?.note), /no server/);
  });

  it('resets every schedule to its default', async () => {
    const out = await offsite(['schedule', 'reset', '--all', '--context-file', contextFile, '--json']);
    assert.equal(out.code, 0, out.stderr);
    const shown = JSON.parse(out.stdout) as { schedules: { custom: boolean }[] };
    assert.ok(shown.schedules.every((s) => !s.custom));
    const document = JSON.parse(readFileSync(contextFile, 'utf8')) as { context: { offsite: unknown } };
    assert.deepEqual(document.context.offsite, { schedules: {} });
  });
});
