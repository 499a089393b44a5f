// The scans' ledger on a real directory: what survives a reopen, a torn journal line, an older agent's state.
import assert from 'node:assert/strict';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type MailboxMark, ScanLedger } from '#agent/scan/scan-ledger.ts';
import { AgentState } from '#agent/ship/agent-state.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'offsite-ledger-'));
  dirs.push(dir);
  return dir;
}

const mark = (n: number): MailboxMark => ({
  changeCheckpoint: n,
  changeMark: `${n}:1`,
  modContent: n * 10,
  scanId: 'full-1',
  at: new Date(0).toISOString(),
  accountId: `acct-${n}`,
});

const scan = (scanId: string, mailboxes: number[]) => ({
  scanId,
  kind: 'full' as const,
  startedAt: new Date(0).toISOString(),
  mailboxes,
  done: [],
  selection: '{"all":true}',
});

describe('the scan ledger', () => {
  it('keeps the mailboxes done and their marks across a reopen, one journal line each', async () => {
    const dir = stateDir();
    const state = await AgentState.open(dir, 'srv');
    const ledger = await ScanLedger.open(dir, state);
    await ledger.start(scan('full-1', [1, 2, 3]));
    await Promise.all([ledger.mailboxDone(1, mark(1)), ledger.mailboxDone(2, mark(2))]);
    await ledger.mailboxDone(3, undefined);
    assert.equal(readFileSync(join(dir, 'scans.journal'), 'utf8').trim().split('\n').length, 3);
    const again = await ScanLedger.open(dir, state);
    assert.deepEqual(again.data.current?.done.sort(), [1, 2, 3]);
    assert.deepEqual(again.data.mailboxes, { '1': mark(1), '2': mark(2) });
    await again.finish();
    assert.equal(existsSync(join(dir, 'scans.journal')), false, 'folded into the snapshot');
    assert.equal((await ScanLedger.peek(dir)).current, null);
    assert.deepEqual((await ScanLedger.peek(dir)).mailboxes, { '1': mark(1), '2': mark(2) });
  });

  it('a torn last line is that mailbox not done; a damaged line before it is an error that says what to do', async () => {
    const dir = stateDir();
    const ledger = await ScanLedger.open(dir, await AgentState.open(dir, 'srv'));
    await ledger.start(scan('full-1', [1, 2]));
    await ledger.mailboxDone(1, mark(1));
    appendFileSync(join(dir, 'scans.journal'), '{"scanId":"full-1","done":2,"ma');
    assert.deepEqual((await ScanLedger.peek(dir)).current?.done, [1]);
    writeFileSync(join(dir, 'scans.journal'), `garbage\n${JSON.stringify({ scanId: 'full-1', done: 2 })}\n`);
    await assert.rejects(ScanLedger.peek(dir), /scans\.journal line 1 does not parse.*remove the file/);
  });

  it('a journal left by an earlier scan moves marks but counts nothing as done for the next one', async () => {
    const dir = stateDir();
    const ledger = await ScanLedger.open(dir, await AgentState.open(dir, 'srv'));
    await ledger.start(scan('full-2', [1, 2]));
    // As if a crash came between the new snapshot and the journal's removal.
    appendFileSync(
      join(dir, 'scans.journal'),
      `${JSON.stringify({ scanId: 'full-1', done: 1, mark: mark(1) })}\n`,
    );
    const read = await ScanLedger.peek(dir);
    assert.deepEqual(read.current?.done, []);
    assert.deepEqual(read.mailboxes['1'], mark(1));
  });

  it('folds the journal into the snapshot every thousand mailboxes', async () => {
    const dir = stateDir();
    const ledger = await ScanLedger.open(dir, await AgentState.open(dir, 'srv'));
    const ids = Array.from({ length: 1500 }, (_, i) => i + 1);
    await ledger.start(scan('full-1', ids));
    for (const id of ids) await ledger.mailboxDone(id, mark(id));
    assert.equal(readFileSync(join(dir, 'scans.journal'), 'utf8').trim().split('\n').length, 500);
    const read = await ScanLedger.peek(dir);
    assert.equal(read.current?.done.length, 1500);
    assert.equal(Object.keys(read.mailboxes).length, 1500);
    assert.ok(statSync(join(dir, 'scans.json')).size > 100_000);
  });

  it('takes over the marks an older agent kept in state.json, and takes them out of it', async () => {
    const dir = stateDir();
    const state = await AgentState.open(dir, 'srv');
    await state.update((s) => {
      s.scan = { current: { ...scan('full-1', [1, 2]), done: [1] }, mailboxes: { '1': mark(1) } };
    });
    const ledger = await ScanLedger.open(dir, state);
    assert.deepEqual(ledger.data.current?.done, [1]);
    assert.deepEqual(ledger.data.mailboxes, { '1': mark(1) });
    assert.equal(state.data.scan, undefined);
    assert.equal(
      (JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { scan?: unknown }).scan,
      undefined,
    );
    assert.deepEqual((await ScanLedger.peek(dir)).mailboxes, { '1': mark(1) });
  });
});
