// Following a live redo.log that grows and rolls over (old files deleted) while it is read: nothing
// missed, nothing read twice. Checked against the same seeded workload written with archives kept.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setImmediate as yieldToReader } from 'node:timers/promises';
import { type FollowEvent, followRedoLog, type LogPosition } from '#agent/follow-redo-log.ts';
import { fileSource } from '#core/redo/byte-source.ts';
import { listRedoLogFiles } from '#core/redo/list-redo-log-files.ts';
import { readRedo } from '#core/redo/redo-reader.ts';
import { MailStateReplayer } from '#core/redo/replay-mail-state.ts';
import { TransactionAssembler } from '#core/redo/transaction-assembler.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const options = (deleteOnRollover: boolean) => {
  const hostDir = mkdtempSync(join(tmpdir(), 'offsite-follow-'));
  dirs.push(hostDir);
  return { hostDir, seed: 11, accounts: 4, rolloverBytes: 48 * 1024, deleteOnRollover };
};
const key = (sequence: bigint, offset: number, length: number, op: number) =>
  `${sequence}:${offset}+${length}:${op}`;

describe('following a live redo log', () => {
  it('reads every record once while the file grows and is rolled over and deleted', async () => {
    const live = new MailHostSimulator(options(true));
    const controller = new AbortController();
    const seen: FollowEvent[] = [];
    const follower = (async () => {
      for await (const e of followRedoLog(join(live.hostDir, 'redolog'), {
        pollMs: 1,
        signal: controller.signal,
        captureBodies: Number.POSITIVE_INFINITY,
      })) {
        seen.push(e);
      }
    })();
    // Waits on the follower, not the clock: a follower starved by a loaded machine is slow, not wrong.
    const waitFor = async (done: () => boolean, what: string) => {
      const deadline = Date.now() + 60_000;
      while (!done()) {
        if (Date.now() > deadline) assert.fail(`the follower did not ${what} within 60 s`);
        await new Promise((r) => setTimeout(r, 2));
      }
    };
    // The follower holds the first file open before the workload can fill and roll it.
    await waitFor(() => seen.some((e) => e.kind === 'file'), 'open the first file');
    for (let i = 0; i < 600; i++) {
      const rolled = live.redo.closedFiles.length;
      live.run(1);
      if (i % 10 === 0) await yieldToReader();
      // A deleted file can only be read if the reader opened it before it went: the server rolls over
      // at 1 GiB, so it never rolls twice between two polls; this test keeps to that.
      if (live.redo.closedFiles.length > rolled) {
        await waitFor(
          () => seen.filter((e) => e.kind === 'closed').length === live.redo.closedFiles.length,
          `read file ${rolled + 1} to its end`,
        );
        // And has the new live file open before the next step, which may fill and roll it at once.
        const sequence = live.redo.sequence;
        await waitFor(
          () => seen.some((e) => e.kind === 'file' && e.sequence === sequence),
          `open file ${sequence}`,
        );
      }
    }
    live.close();
    const finalSequence = live.redo.sequence;
    // Wait until the follower has read the closed live file to its end, then stop it.
    const finalSize = live.redo.position().offset;
    await waitFor(() => {
      const last = seen.filter((e) => e.kind === 'record' && e.sequence === finalSequence).at(-1);
      return last?.kind === 'record' && last.record.offset + last.record.length === finalSize;
    }, 'read the last file to its end');
    controller.abort();
    await follower;

    assert.ok(live.redo.closedFiles.length >= 4, `only ${live.redo.closedFiles.length} rollovers`);
    assert.deepEqual(readdirSync(join(live.hostDir, 'redolog', 'archive')), [], 'old files were deleted');
    assert.equal(seen.filter((e) => e.kind === 'unparsed' || e.kind === 'gap').length, 0);
    const closed = seen.filter((e) => e.kind === 'closed');
    assert.equal(closed.length, live.redo.closedFiles.length, 'every rolled file read to its end');
    assert.ok(closed.every((c) => c.kind === 'closed' && !c.torn));

    const followed = seen.flatMap((e) =>
      e.kind === 'record' ? [key(e.sequence, e.record.offset, e.record.length, e.record.header.opCode)] : [],
    );
    assert.equal(new Set(followed).size, followed.length, 'no record read twice');

    // The same workload with archives kept, read file by file afterwards.
    const reference = new MailHostSimulator(options(false));
    reference.run(600);
    reference.close();
    const files = listRedoLogFiles(join(reference.hostDir, 'redolog'));
    const expected: string[] = [];
    for (const file of files) {
      const source = await fileSource(file);
      let sequence = 0n;
      for await (const e of readRedo(source)) {
        if (e.kind === 'header') sequence = e.header.sequence;
        if (e.kind === 'record')
          expected.push(key(sequence, e.record.offset, e.record.length, e.record.header.opCode));
      }
      await source.close();
    }
    assert.deepEqual(followed, expected, 'nothing missed, in order');

    // And what was followed rebuilds the mailboxes exactly.
    const assembler = new TransactionAssembler();
    const replayer = new MailStateReplayer();
    for (const e of seen) {
      if (e.kind !== 'record') continue;
      const txn = assembler.push(e.record);
      if (txn) replayer.apply(txn);
    }
    assert.deepEqual(replayer.state, live.current());
  });

  /** Everything `followRedoLog` yields until the live file's current end. */
  async function followOnce(dir: string, from: LogPosition | 'oldest') {
    const events: FollowEvent[] = [];
    for await (const e of followRedoLog(dir, { from, once: true, pollMs: 1 })) events.push(e);
    return events;
  }
  const records = (events: FollowEvent[]) =>
    events.flatMap((e) =>
      e.kind === 'record' ? [key(e.sequence, e.record.offset, e.record.length, e.record.header.opCode)] : [],
    );

  it('catches up from archive/ in sequence order, then reads the live file', async () => {
    const sim = new MailHostSimulator(options(false));
    sim.run(300);
    const dir = join(sim.hostDir, 'redolog');
    const events = await followOnce(dir, 'oldest');
    const files = events.flatMap((e) => (e.kind === 'file' ? [[e.sequence, e.archived] as const] : []));
    assert.ok(files.length >= 4, `${files.length} files`);
    files.forEach(([sequence, archived], i) => {
      assert.equal(
        sequence,
        (files[0] as readonly [bigint, boolean])[0] + BigInt(i),
        'consecutive sequences',
      );
      assert.equal(archived, i < files.length - 1, 'all but the live file from archive/');
    });
    assert.equal(events.at(-1)?.kind, 'idle');
    assert.equal(events.filter((e) => e.kind === 'closed').length, files.length - 1);
  });

  it('resumes at a position: exactly the records after it, in order', async () => {
    const sim = new MailHostSimulator(options(false));
    sim.run(300);
    const dir = join(sim.hostDir, 'redolog');
    const all = await followOnce(dir, 'oldest');
    const everything = records(all);
    // The middle record of the second file: mid-file, after a rollover.
    const secondFile = all.filter((e) => e.kind === 'file')[1];
    assert.ok(secondFile?.kind === 'file');
    const inSecond = all.filter((e) => e.kind === 'record' && e.sequence === secondFile.sequence);
    assert.ok(inSecond.length >= 3, 'the second file holds records before and after the middle one');
    const resumeAt = inSecond[Math.floor(inSecond.length / 2)];
    assert.ok(resumeAt?.kind === 'record');
    const from = { sequence: secondFile.sequence, offset: resumeAt.record.offset };
    const resumed = await followOnce(dir, from);
    const first = resumed[0];
    assert.ok(first?.kind === 'file' && first.from === from.offset && first.archived);
    const rest = records(resumed);
    assert.deepEqual(rest, everything.slice(everything.length - rest.length));
    assert.equal(
      rest[0],
      key(resumeAt.sequence, resumeAt.record.offset, resumeAt.record.length, resumeAt.record.header.opCode),
    );
  });

  it('reports a deleted archive file as a gap and goes on with the next one', async () => {
    const sim = new MailHostSimulator(options(false));
    sim.run(300);
    const dir = join(sim.hostDir, 'redolog');
    const missing = sim.redo.closedFiles[1];
    assert.ok(missing);
    rmSync(missing.path);
    const events = await followOnce(dir, {
      sequence: (sim.redo.closedFiles[0] as { sequence: bigint }).sequence,
      offset: 0,
    });
    const gaps = events.filter((e) => e.kind === 'gap');
    assert.deepEqual(gaps, [{ kind: 'gap', fromSequence: missing.sequence, toSequence: missing.sequence }]);
    const sequences = events.flatMap((e) => (e.kind === 'file' ? [e.sequence] : []));
    assert.ok(!sequences.includes(missing.sequence) && sequences.includes(missing.sequence + 1n));
  });

  it('refuses a log that went backwards or shrank below what was shipped', async () => {
    const sim = new MailHostSimulator(options(false));
    sim.run(50);
    const dir = join(sim.hostDir, 'redolog');
    const live = sim.redo.position();
    await assert.rejects(followOnce(dir, { sequence: live.sequence + 5n, offset: 0 }), {
      name: 'RedoSequenceError',
      message: new RegExp(`redo.log has sequence ${live.sequence}, behind the position already shipped`),
    });
    await assert.rejects(followOnce(dir, { sequence: live.sequence, offset: live.offset + 100 }), {
      name: 'RedoSequenceError',
      message: /fewer than the \d+ already shipped: the file was truncated or replaced/,
    });
  });
});
