import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { DigestSet } from '#core/scan/digest-set.ts';
import { seededRandom } from '#core/seeded-random.ts';

const sha = (n: number) => createHash('sha256').update(String(n)).digest('hex');

describe('DigestSet', () => {
  it('answers as a Set of the digests would, through many growths', () => {
    const random = seededRandom(5);
    const set = new DigestSet();
    const oracle = new Set<string>();
    for (let i = 0; i < 60_000; i++) {
      const digest = sha(Math.floor(random() * 40_000));
      if (random() < 0.5) {
        set.add(digest);
        oracle.add(digest);
      } else {
        assert.equal(set.has(digest), oracle.has(digest), digest);
      }
    }
    assert.equal(set.size, oracle.size);
    for (const digest of oracle) assert.ok(set.has(digest));
    for (let n = 40_000; n < 45_000; n++) assert.equal(set.has(sha(n)), false);
  });

  it('keeps digests apart that share their first words (the hash), and an all-zero prefix', () => {
    const set = new DigestSet();
    const prefix = 'deadbeef'.repeat(3);
    const alike = Array.from({ length: 3000 }, (_, i) => prefix + sha(i).slice(24));
    for (const digest of alike) set.add(digest);
    const zero = `${'0'.repeat(32)}${'f'.repeat(32)}`;
    assert.equal(set.has(zero), false);
    set.add(zero);
    set.add(zero);
    assert.equal(set.size, 3001);
    for (const digest of alike) assert.ok(set.has(digest));
    assert.ok(set.has(zero));
    assert.equal(set.has(`${prefix}${'0'.repeat(40)}`), false);
    // Bits past the first 128 are not kept: a digest is told apart from another by its first 128.
    assert.ok(set.has(`${alike[7]?.slice(0, 32)}${'1'.repeat(32)}`));
  });

  it('reads hex in either case, and refuses what is not a digest', () => {
    const set = new DigestSet();
    const digest = sha(1);
    set.add(digest.toUpperCase());
    assert.ok(set.has(digest));
    assert.equal(set.size, 1);
    for (const bad of ['', digest.slice(1), `${digest}0`, `${digest.slice(1)}g`, 'x'.repeat(64)]) {
      assert.equal(set.has(bad), false);
      assert.equal(DigestSet.isDigest(bad), false);
      assert.throws(() => set.add(bad), RangeError);
    }
    assert.equal(set.size, 1);
  });
});
