// The announcer against a stub queue: batches of ten in spool order, and what a partly refused batch leaves.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { AgentState } from '#agent/ship/agent-state.ts';
import { Announcer } from '#agent/ship/announcer.ts';
import { ScanCuts } from '#agent/ship/scan-cuts.ts';
import { emptyShipReport } from '#agent/ship/ship-report.ts';
import { Spool, type SpoolEntry, spoolId } from '#agent/ship/spool.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Batch {
  entries: { Id: string; key: string }[];
}

/** A spool of `count` uploaded segments, and an announcer whose queue refuses what `refuse` says. */
async function setUp(count: number, refuse: (call: number, id: string) => boolean = () => false) {
  const work = mkdtempSync(join(tmpdir(), 'offsite-announcer-'));
  dirs.push(work);
  mkdirSync(join(work, 'spool'));
  const spool = new Spool(join(work, 'spool'));
  await spool.open();
  for (let i = 0; i < count; i++) {
    const entry: SpoolEntry = {
      id: spoolId('segment', '1', i * 100, i * 100 + 99),
      kind: 'segment',
      sequence: '1',
      first: i * 100,
      last: i * 100 + 99,
      key: `servers/srv/redo/${i}`,
      sha256: '0'.repeat(64),
      size: 1,
      storedSize: 1,
      codec: 'zstd',
      spooledAt: new Date(0).toISOString(),
    };
    await spool.put(entry, new Uint8Array([i]));
    await spool.markUploaded(entry.id);
  }
  const state = await AgentState.open(join(work, 'state'), 'srv');
  const batches: Batch[] = [];
  const sqs = {
    send: async (command: { input: { Entries: { Id: string; MessageBody: string }[] } }) => {
      const call = batches.length;
      const entries = command.input.Entries.map((e) => ({
        Id: e.Id,
        key: (JSON.parse(e.MessageBody) as { key: string }).key,
      }));
      batches.push({ entries });
      const refused = entries.filter((e) => refuse(call, e.Id));
      return {
        Successful: entries.filter((e) => !refused.includes(e)).map((e) => ({ Id: e.Id })),
        Failed: refused.map((e) => ({
          Id: e.Id,
          Code: 'InternalError',
          Message: 'try again',
          SenderFault: false,
        })),
      };
    },
  } as unknown as SQSClient;
  const cuts = new ScanCuts(() => undefined);
  const report = emptyShipReport();
  const announcer = new Announcer({
    serverId: 'srv',
    queueUrl: 'https://sqs.local/q.fifo',
    sqs,
    state,
    spool,
    cuts,
    report,
  });
  return { spool, state, batches, announcer, report, cuts };
}

describe('the announcer', () => {
  it('announces the spool in order, ten to a request, and records the last one', async () => {
    const { spool, state, batches, announcer, report } = await setUp(23);
    const keys = spool.list().map((e) => e.key);
    const last = spool.list().at(-1);
    assert.equal(await announcer.announceUploaded(new AbortController().signal), 23);
    assert.deepEqual(
      batches.map((b) => b.entries.length),
      [10, 10, 3],
    );
    assert.deepEqual(
      batches.flatMap((b) => b.entries.map((e) => e.key)),
      keys,
    );
    assert.deepEqual(spool.list(), []);
    assert.equal(report.announced, 23);
    assert.equal(state.data.announced?.id, last?.id);
  });

  it('a batch refused in part: what came before the refusal is done, the rest stays spooled and fails the turn', async () => {
    // The first request refuses its fourth entry (and lets the fifth through, as a queue may).
    const { spool, state, batches, announcer } = await setUp(12, (call, id) => call === 0 && id === '3');
    const ids = spool.list().map((e) => e.id);
    await assert.rejects(announcer.announceUploaded(new AbortController().signal), /refused.*InternalError/);
    assert.deepEqual(
      spool.list().map((e) => e.id),
      ids.slice(3),
      'the refused entry and those after it stay spooled',
    );
    assert.equal(state.data.announced?.id, ids[2]);
    // The next turn announces them again from the refused one on.
    assert.equal(await announcer.announceUploaded(new AbortController().signal), 9);
    assert.deepEqual(spool.list(), []);
    assert.deepEqual(batches[1]?.entries.map((e) => e.key)[0], 'servers/srv/redo/3');
  });

  it('stops at the first entry not uploaded', async () => {
    const { spool, batches, announcer } = await setUp(4);
    const [, second] = spool.list();
    assert.ok(second);
    await spool.put({ ...second, id: `${second.id}-later`, key: 'late' }, new Uint8Array([9]));
    assert.equal(await announcer.announceUploaded(new AbortController().signal), 2);
    assert.deepEqual(
      batches.flatMap((b) => b.entries.map((e) => e.key)),
      ['servers/srv/redo/0', 'servers/srv/redo/1'],
    );
  });

  it('announces nothing past a scan cut until it is released', async () => {
    const { spool, batches, announcer, cuts } = await setUp(4);
    const cutting = cuts.request(7, 'scan-1');
    cuts.serve({ sequence: '1', offset: 150 });
    const cut = await cutting;
    assert.equal(await announcer.announceUploaded(new AbortController().signal), 2);
    assert.equal(spool.list().length, 2);
    cuts.release(cut);
    assert.equal(await announcer.announceUploaded(new AbortController().signal), 2);
    assert.deepEqual(
      batches.flatMap((b) => b.entries.map((e) => e.key)),
      [0, 1, 2, 3].map((i) => `servers/srv/redo/${i}`),
    );
  });
});
