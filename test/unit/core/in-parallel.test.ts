import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inParallel, inParallelUnlessStopped } from '#core/in-parallel.ts';

describe('inParallel', () => {
  it('runs every item, at most `limit` at a time', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await inParallel([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      done.push(n);
      running--;
    });
    assert.deepEqual(done.sort(), [1, 2, 3, 4, 5, 6, 7]);
    assert.equal(most, 3);
  });

  it('starts nothing after a failure, lets what runs finish, then throws the first error', async () => {
    const started: number[] = [];
    const settled: number[] = [];
    let rejectedWhileRunning = false;
    const run = inParallel([1, 2, 3, 4, 5, 6, 7, 8], 3, async (n) => {
      started.push(n);
      await new Promise((resolve) => setTimeout(resolve, n === 2 ? 1 : 20));
      settled.push(n);
      if (n === 2 || n === 3) throw new Error(`item ${n} failed`);
    });
    run.catch(() => {
      rejectedWhileRunning = started.length !== settled.length;
    });
    await assert.rejects(run, /item 2 failed/);
    assert.equal(rejectedWhileRunning, false, 'every item begun has settled before the rejection');
    assert.deepEqual(started.sort(), [1, 2, 3], 'nothing begun after item 2 failed');
    assert.deepEqual(settled.sort(), [1, 2, 3]);
  });

  it('asks whether to stop every few items and skips the rest once told', async () => {
    const items = Array.from({ length: 100 }, (_, i) => i);
    let asked = 0;
    const done: number[] = [];
    const halted = await inParallelUnlessStopped(
      items,
      1,
      async () => ++asked === 2,
      async (n) => {
        done.push(n);
      },
      10,
    );
    assert.equal(halted, true);
    assert.equal(asked, 2);
    assert.equal(done.length, 19, 'the first look goes on with its item; the second stops before its own');
    const all = await inParallelUnlessStopped(
      items,
      4,
      async () => false,
      async () => undefined,
      10,
    );
    assert.equal(all, false);
  });
});
