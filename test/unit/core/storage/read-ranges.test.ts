import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BodyLocation } from '#core/storage/body-location.ts';
import { readRanges } from '#core/storage/read-ranges.ts';

const at = (pack: string, offset: number, length: number, n: number): BodyLocation => ({
  pack,
  offset,
  length,
  size: length,
  codec: 'none',
  keyId: 'none',
  sha256: n.toString(16).padStart(64, '0'),
});

describe('ranged reads of packed bodies', () => {
  it('merges neighbours of one pack, splits at a wide gap or a full range, never mixes packs', () => {
    const a = 'packs/aa/a';
    const b = 'packs/bb/b';
    const ranges = readRanges(
      [at(a, 100, 50, 2), at(a, 0, 100, 1), at(a, 160, 40, 3), at(a, 10_000, 10, 4), at(b, 0, 10, 5)],
      { maxGap: 100, maxBytes: 1_000 },
    );
    assert.deepEqual(
      ranges.map((r) => [r.pack, r.start, r.end, r.bodies.map((x) => x.offset)]),
      [
        [a, 0, 200, [0, 100, 160]],
        [a, 10_000, 10_010, [10_000]],
        [b, 0, 10, [0]],
      ],
    );
    const capped = readRanges([at(a, 0, 600, 1), at(a, 600, 600, 2), at(a, 1200, 10, 3)], {
      maxGap: 100,
      maxBytes: 1_000,
    });
    assert.deepEqual(
      capped.map((r) => [r.start, r.end]),
      [
        [0, 600],
        [600, 1210],
      ],
      'a range stops growing at maxBytes; a larger body is a range alone',
    );
  });

  it('reads a body asked for twice once', () => {
    const ranges = readRanges([at('packs/aa/a', 0, 10, 1), at('packs/aa/a', 0, 10, 1)]);
    assert.equal(ranges.length, 1);
    assert.equal(ranges[0]?.bodies.length, 1);
  });
});
