import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { indexKeys } from '#core/index-keys.ts';
import { packKey } from '#core/storage/body-keys.ts';
import {
  type BodyLocation,
  HELD_REFS,
  heldRefsOf,
  heldRefsValue,
  locationItem,
  locationOf,
  MAX_HELD_REFS,
} from '#core/storage/body-location.ts';

const location: BodyLocation = {
  sha256: 'a'.repeat(64),
  pack: packKey('b'.repeat(64)),
  offset: 10,
  length: 20,
  size: 30,
  codec: 'zstd',
  keyId: 'none',
};
const ref = (item: number) => indexKeys.blobRef('srv', 1, item);

describe('locationItem / locationOf', () => {
  it('round-trips a location, with or without the references it holds (sorted, once each)', () => {
    assert.deepEqual(locationOf(locationItem(location, 'now')), location);
    const item = locationItem(location, 'now', [ref(3), ref(2), ref(3)]);
    assert.deepEqual(heldRefsOf(item), [ref(2), ref(3)]);
    assert.deepEqual(locationOf(item), { ...location, heldRefs: [ref(2), ref(3)] });
  });

  it('writes only the references it is given, never those the location read back holds', () => {
    const read = { ...location, heldRefs: [ref(2)] };
    assert.deepEqual(heldRefsOf(locationItem(read, 'now')), []);
  });

  it('holds a bounded number of references, each one a reference', () => {
    const many = Array.from({ length: MAX_HELD_REFS + 1 }, (_, i) => ref(i));
    assert.throws(() => locationItem(location, 'now', many), RangeError);
    assert.doesNotThrow(() => locationItem(location, 'now', many.slice(1)));
    assert.throws(() => locationItem(location, 'now', ['LOC']), RangeError);
    assert.throws(() => locationItem(location, 'now', [`${ref(1)} ${ref(2)}`]), RangeError);
  });

  it('reads past what is not a reference, and compares held references whole', () => {
    assert.deepEqual(heldRefsOf({ ...locationItem(location, 'now'), [HELD_REFS]: `LOC ${ref(1)}` }), [
      ref(1),
    ]);
    assert.deepEqual(heldRefsOf({ ...locationItem(location, 'now'), [HELD_REFS]: 7 }), []);
    assert.equal(heldRefsValue([]), undefined);
    assert.equal(heldRefsValue([ref(2), ref(1)]), heldRefsValue([ref(1), ref(2)]));
  });
});
