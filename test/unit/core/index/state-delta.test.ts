import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyDelta, stateDelta } from '#core/index/state-delta.ts';

describe('state deltas', () => {
  const read = { kind: 'message', folderId: 2, flags: 0, tags: ['a'], subject: 'Hi', conv: 7 };
  const moved = { kind: 'message', folderId: 5, flags: 1, tags: ['a', 'b'], subject: 'Hi' };

  it('hold only the fields that differ, and give the older state back exactly', () => {
    const delta = stateDelta(read, moved);
    assert.deepEqual(delta, { set: { folderId: 2, flags: 0, tags: ['a'], conv: 7 } });
    assert.deepEqual(applyDelta(moved, delta), read);
    const back = stateDelta(moved, read);
    assert.deepEqual(back, { set: { folderId: 5, flags: 1, tags: ['a', 'b'] }, unset: ['conv'] });
    assert.deepEqual(applyDelta(read, back), moved);
  });

  it('are empty between equal states and leave the newer state as it was', () => {
    assert.deepEqual(stateDelta(read, { ...read, tags: ['a'] }), {});
    const newer = structuredClone(moved);
    const older = applyDelta(newer, stateDelta(read, moved));
    (older.tags as string[]).push('c');
    assert.deepEqual(newer, moved, 'the older state shares nothing with the newer one');
  });
});
