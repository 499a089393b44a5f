import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Wakeup } from '#agent/ship/wakeup.ts';

/** Whether `wait` ended within `ms` (far below its own timeout). */
async function endsWithin(wait: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const ended = await Promise.race([wait.then(() => true as const), late]);
  clearTimeout(timer);
  return ended;
}

describe('Wakeup', () => {
  it('a kick ends the wait in progress', async () => {
    const work = new Wakeup();
    const waiting = work.wait(60_000);
    work.kick();
    assert.ok(await endsWithin(waiting, 1_000));
  });

  it('a kick while nobody waits ends the next wait at once, and only that one', async () => {
    const work = new Wakeup();
    work.kick();
    work.kick();
    assert.ok(await endsWithin(work.wait(60_000), 1_000), 'the kick was remembered');
    const second = work.wait(60_000);
    assert.equal(await endsWithin(second, 200), false, 'two kicks before a wait end one wait');
    work.kick();
    await second;
  });

  it('a wait ends when its signal aborts, or at its timeout', async () => {
    const work = new Wakeup();
    const stop = new AbortController();
    const waiting = work.wait(60_000, stop.signal);
    stop.abort();
    assert.ok(await endsWithin(waiting, 1_000));
    assert.ok(await endsWithin(work.wait(60_000, stop.signal), 1_000), 'an aborted signal does not wait');
    assert.ok(await endsWithin(work.wait(10), 1_000));
  });
});
