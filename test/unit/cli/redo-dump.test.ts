import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { wallClock } from '#core/parse-time.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';

const host = mkdtempSync(join(tmpdir(), 'offsite-dump-'));
after(() => rmSync(host, { recursive: true, force: true }));
const sim = new MailHostSimulator({ hostDir: host, seed: 8, accounts: 3, rolloverBytes: 64 * 1024 });
sim.run(300);
sim.close();

function offsite(...args: string[]) {
  return spawnSync(process.execPath, ['cli/main.ts', ...args], { encoding: 'utf8' });
}

describe('offsite redo dump', () => {
  it('lists every file header and record of a redolog directory', () => {
    const out = offsite('redo', 'dump', join(host, 'redolog'));
    assert.equal(out.status, 0, out.stderr);
    const files = out.stdout.split('\n').filter((l) => l.startsWith('== '));
    assert.equal(files.length, sim.redo.closedFiles.length + 1);
    assert.match(out.stdout, /CreateMessage .*rcptEmail=user\d@example\.(com|org)/);
    assert.match(out.stderr, /^(\d+) of \1 records shown; 0 unparsed ranges; 0 incomplete tails/);
  });

  it('filters by mailbox and time, as JSON lines', () => {
    const times = sim.commitTimes();
    const from = times[50] as number;
    const to = times[150] as number;
    const out = offsite(
      'redo',
      'dump',
      join(host, 'redolog'),
      '--json',
      '--mailbox',
      '2',
      // The Zimbra form, wall-clock time in Paris (whole seconds).
      '--from',
      parisWallClock(from),
      '--tz',
      'Europe/Paris',
      '--to',
      String(to),
    );
    assert.equal(out.status, 0, out.stderr);
    const records = out.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((r) => r.op);
    assert.ok(records.length > 0);
    for (const r of records) {
      assert.equal(r.mailbox, 2);
      assert.ok(Date.parse(r.time) >= Math.floor(from / 1000) * 1000 && Date.parse(r.time) <= to);
      if (r.body) assert.equal(r.body.bytes, undefined);
    }
  });

  it('says what to do with a missing path or a bad flag', () => {
    const missing = offsite('redo', 'dump', join(host, 'nope'));
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /no such file or directory; give a redo log file or a redolog directory/);
    const bad = offsite('redo', 'dump', join(host, 'redolog'), '--from', 'yesterday-ish');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--from "yesterday-ish" is not a time/);
  });
});

/** `yyyyMMddHHmmss` of `ms` as a clock in Paris shows it. */
function parisWallClock(ms: number): string {
  const c = wallClock(ms, 'Europe/Paris');
  return `${c.year}${c.month}${c.day}${c.hour}${c.minute}${c.second}`;
}
