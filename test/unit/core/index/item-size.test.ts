import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { itemSize, writeUnits } from '#core/index/item-size.ts';

describe('itemSize', () => {
  it('counts names and values as DynamoDB bills them', () => {
    assert.equal(itemSize({ pk: 'ab', n: 12345 }), 2 + 2 + 1 + 4);
    assert.equal(itemSize({ b: true, z: null }), 2 + 2);
    // A map: 3 bytes, then per field one byte, its name and its value.
    assert.equal(itemSize({ m: { x: 'yz' } }), 1 + 3 + 1 + 1 + 2);
    assert.equal(itemSize({ l: ['a', 'bc'] }), 1 + 3 + 2 + 3);
    assert.equal(itemSize({ s: 'é' }), 1 + 2, 'strings in UTF-8 bytes');
    assert.equal(itemSize({ u: undefined }), 0, 'an undefined attribute is not stored');
  });

  it('prices items by the started kilobyte', () => {
    assert.deepEqual([0, 1, 1024, 1025, 2048].map(writeUnits), [1, 1, 1, 2, 2]);
  });
});
