import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FollowEvent } from '#agent/follow-redo-log.ts';
import { Segmenter, type SegmenterOutput } from '#agent/ship/segmenter.ts';
import { bufferSource } from '#core/redo/byte-source.ts';
import { parseFileHeader } from '#core/redo/file-header.ts';
import { OP } from '#core/redo/op-codes.ts';
import type { RedoRecord } from '#core/redo/redo-record.ts';
import { fileHeaderBytes } from '#test/support/redo-fixtures.ts';

const source = bufferSource(Buffer.alloc(0));
const header = parseFileHeader(fileHeaderBytes());
const file = (sequence: bigint, from = 0): FollowEvent => ({
  kind: 'file',
  sequence,
  header,
  source,
  from,
  archived: false,
});
const record = (sequence: bigint, offset: number, length: number, timestamp: number): FollowEvent => ({
  kind: 'record',
  sequence,
  record: { offset, length, header: { timestamp } } as RedoRecord,
});
const ranges = (outputs: SegmenterOutput[]) =>
  outputs.map((o) =>
    o.kind === 'segment'
      ? `${o.sequence}:${o.first}-${o.last}`
      : o.kind === 'seal'
        ? `seal ${o.sequence}@${o.size}${o.torn ? ' torn' : ''}`
        : `gap ${o.fromSequence}-${o.toSequence}`,
  );

describe('segmenter', () => {
  it('cuts at the size bound, at record boundaries, with the header in the first segment', () => {
    const s = new Segmenter({ maxBytes: 1000, maxAgeMs: 60_000, now: () => 0 });
    const out: SegmenterOutput[] = [...s.push(file(7n))];
    for (let i = 0, at = 512; i < 10; i++, at += 300) out.push(...s.push(record(7n, at, 300, 1000 + i)));
    assert.deepEqual(ranges(out), ['7:0-1112', '7:1112-2312', '7:2312-3512']);
    const first = out[0];
    assert.ok(first?.kind === 'segment' && first.firstOpTime === 1000 && first.lastOpTime === 1001);
    assert.deepEqual(s.position(), { sequence: 7n, offset: 3512 });
  });

  it('cuts what waited longer than the age bound when the follower is idle', () => {
    let now = 0;
    const s = new Segmenter({ maxBytes: 1 << 20, maxAgeMs: 100, now: () => now });
    s.push(file(3n, 812));
    assert.deepEqual(s.push(record(3n, 812, 50, 1)), []);
    now = 99;
    assert.deepEqual(s.push({ kind: 'idle', sequence: 3n, offset: 862 }), []);
    now = 100;
    assert.deepEqual(ranges(s.push({ kind: 'idle', sequence: 3n, offset: 862 })), ['3:812-862']);
    // Nothing pending: idle cuts nothing, however old.
    now = 10_000;
    assert.deepEqual(s.push({ kind: 'idle', sequence: 3n, offset: 862 }), []);
  });

  it('ships unparsed bytes and a torn tail, then seals the file', () => {
    const s = new Segmenter({ maxBytes: 1 << 20, maxAgeMs: 60_000, now: () => 0 });
    s.push(file(1n));
    s.push(record(1n, 512, 100, 5));
    s.push({ kind: 'unparsed', sequence: 1n, offset: 612, end: 700, reason: 'x' });
    const out = s.push({ kind: 'closed', sequence: 1n, size: 733, torn: true });
    assert.deepEqual(ranges(out), ['1:0-733', 'seal 1@733 torn']);
    assert.deepEqual(ranges(s.push({ kind: 'gap', fromSequence: 2n, toSequence: 4n })), ['gap 2-4']);
  });

  it('refuses a hole or a jump rather than ship around it', () => {
    const s = new Segmenter({ maxBytes: 1 << 20, maxAgeMs: 60_000, now: () => 0 });
    s.push(file(1n));
    assert.throws(() => s.push(record(1n, 600, 10, 0)), /expected sequence 1 at byte 512/);
    const t = new Segmenter({ maxBytes: 1 << 20, maxAgeMs: 60_000, now: () => 0 });
    assert.throws(() => t.push(record(1n, 512, 10, 0)), /AgentStateError|expected sequence undefined/);
  });

  describe('once caught up with the log (minIntervalMs)', () => {
    /** A record of transaction `txn`: an op opens it, CommitTxn closes it. */
    const op = (offset: number, opCode: number, txn: number): FollowEvent => ({
      kind: 'record',
      sequence: 1n,
      record: {
        offset,
        length: 100,
        header: { timestamp: offset, opCode, txnId: { time: 1, counter: txn } },
      } as RedoRecord,
    });
    const idle = (offset: number): FollowEvent => ({ kind: 'idle', sequence: 1n, offset });

    it('cuts a commit at once, then at most one segment per interval, everything read by then', () => {
      let now = 10_000;
      const s = new Segmenter({ maxBytes: 1 << 20, maxAgeMs: 5000, minIntervalMs: 1000, now: () => now });
      s.push(file(1n, 512));
      s.push(op(512, OP.CreateMessage, 1));
      s.push(op(612, OP.CommitTxn, 1));
      assert.deepEqual(ranges(s.push(idle(712))), ['1:512-712'], 'the first commit goes at once');
      for (let at = 712, t = 10_100; at < 1512; at += 200, t += 200) {
        now = t;
        s.push(op(at, OP.CreateMessage, at));
        s.push(op(at + 100, OP.CommitTxn, at));
        assert.deepEqual(s.push(idle(at + 200)), [], `nothing cut ${t - 10_000} ms after the last cut`);
      }
      assert.equal(s.nextDue(), 11_000, 'due one interval after the last cut');
      now = 11_000;
      assert.deepEqual(ranges(s.push(idle(1512))), ['1:712-1512'], 'a second of commits in one segment');
      now = 60_000;
      assert.deepEqual(s.push(idle(1512)), [], 'an idle log sends nothing');
      assert.equal(s.nextDue(), undefined);
    });

    it('caught up mid-transaction, waits for the commit, or commitWaitMs at most', () => {
      let now = 0;
      const s = new Segmenter({
        maxBytes: 1 << 20,
        maxAgeMs: 5000,
        minIntervalMs: 1000,
        commitWaitMs: 200,
        now: () => now,
      });
      s.push(file(1n, 512));
      s.push(op(512, OP.CreateMessage, 1));
      assert.deepEqual(s.push(idle(612)), [], 'the commit is not there yet');
      assert.equal(s.nextDue(), 200);
      now = 50;
      s.push(op(612, OP.CommitTxn, 1));
      assert.deepEqual(ranges(s.push(idle(712))), ['1:512-712'], 'cut once committed');
      now = 1500;
      s.push(op(712, OP.CreateMessage, 2));
      now = 1699;
      assert.deepEqual(s.push(idle(812)), []);
      now = 1700;
      assert.deepEqual(ranges(s.push(idle(812))), ['1:712-812'], 'the commit is late: cut anyway');
    });

    it('a transaction never committed holds no later cut past the age bound', () => {
      let now = 0;
      const s = new Segmenter({
        maxBytes: 1 << 20,
        maxAgeMs: 1000,
        minIntervalMs: 100,
        commitWaitMs: 500,
        now: () => now,
      });
      s.push(file(1n, 512));
      s.push(op(512, OP.CreateMessage, 1));
      now = 600;
      assert.deepEqual(ranges(s.push(idle(612))), ['1:512-612']);
      now = 2000;
      s.push(op(612, OP.CreateMessage, 2));
      s.push(op(712, OP.CommitTxn, 2));
      assert.deepEqual(ranges(s.push(idle(812))), ['1:612-812'], 'transaction 1 was abandoned');
    });
  });
});
