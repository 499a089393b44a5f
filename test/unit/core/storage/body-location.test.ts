import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { indexKeys } from '#core/index-keys.ts';
import { packKey } from '#core/storage/body-keys.ts';
import { type BodyLocation, firstRefOf, locationItem, locationOf } from '#core/storage/body-location.ts';

const location: BodyLocation = {
  sha256: 'a'.repeat(64),
  pack: packKey('b'.repeat(64)),
  offset: 10,
  length: 20,
  size: 30,
  codec: 'zstd',
  keyId: 'none',
};

describe('locationItem / locationOf', () => {
  it('round-trips a location, with or without the reference it holds', () => {
    assert.deepEqual(locationOf(locationItem(location, 'now')), location);
    const ref = indexKeys.blobRef('srv', 1, 2);
    const item = locationItem(location, 'now', ref);
    assert.equal(firstRefOf(item), ref);
    assert.deepEqual(locationOf(item), { ...location, firstRef: ref });
  });

  it('writes only the reference it is given, never one the location read back holds', () => {
    const read = { ...location, firstRef: indexKeys.blobRef('srv', 1, 2) };
    assert.equal(firstRefOf(locationItem(read, 'now')), undefined);
  });

  it('ignores a held value that is not a reference', () => {
    assert.equal(firstRefOf({ ...locationItem(location, 'now'), firstRef: 'LOC' }), undefined);
    assert.equal(firstRefOf({ ...locationItem(location, 'now'), firstRef: 7 }), undefined);
  });
});
