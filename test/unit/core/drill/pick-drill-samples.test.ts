import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DrillCandidate, pickDrillSamples, seedOf } from '#core/drill/pick-drill-samples.ts';
import { seededRandom } from '#core/seeded-random.ts';

const DAY = 86_400_000;
const now = Date.parse('2026-12-06T12:00:00Z');
const candidates: DrillCandidate[] = Array.from({ length: 20 }, (_, i) => ({
  serverId: i % 2 ? 'mail2' : 'mail1',
  mailboxId: i + 1,
  name: `user${i}@example.com`,
  // Half the mailboxes were backed up for a month, half only since yesterday.
  since: i < 10 ? now - 30 * DAY : now - DAY,
}));

describe('pickDrillSamples', () => {
  it('picks distinct mailboxes, each at an instant after it was backed up and within the window', () => {
    for (let seed = 0; seed < 200; seed++) {
      const picked = pickDrillSamples(candidates, 5, { now, days: 7 }, seededRandom(seed));
      assert.equal(picked.length, 5);
      assert.equal(new Set(picked.map((p) => `${p.serverId}:${p.mailboxId}`)).size, 5);
      for (const p of picked) {
        assert.ok(p.at > p.since, `after the mailbox appeared (seed ${seed})`);
        assert.ok(p.at >= now - 7 * DAY && p.at < now, `within the last 7 days (seed ${seed})`);
      }
    }
  });

  it('gives the same drill for the same seed, whatever order the index listed the mailboxes in', () => {
    const a = pickDrillSamples(candidates, 4, { now, days: 7 }, seededRandom(seedOf('drill-1')));
    const b = pickDrillSamples(
      [...candidates].reverse(),
      4,
      { now, days: 7 },
      seededRandom(seedOf('drill-1')),
    );
    assert.deepEqual(a, b);
    const c = pickDrillSamples(candidates, 4, { now, days: 7 }, seededRandom(seedOf('drill-2')));
    assert.notDeepEqual(a, c);
  });

  it('covers every mailbox over many seeds (uniform, not always the first ones)', () => {
    const seen = new Set<number>();
    for (let seed = 0; seed < 100; seed++)
      for (const p of pickDrillSamples(candidates, 2, { now, days: 7 }, seededRandom(seed)))
        seen.add(p.mailboxId);
    assert.equal(seen.size, candidates.length);
  });

  it('takes what there is when fewer mailboxes than asked, and none that appeared after now', () => {
    const few = [
      ...candidates.slice(0, 2),
      { serverId: 'mail1', mailboxId: 99, name: 'new@x', since: now + 1 },
    ];
    const picked = pickDrillSamples(few, 10, { now, days: 7 }, seededRandom(1));
    assert.deepEqual(picked.map((p) => p.mailboxId).sort(), [1, 2]);
    assert.deepEqual(pickDrillSamples([], 3, { now, days: 7 }, seededRandom(1)), []);
  });
});
