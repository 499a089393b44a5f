import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blobKey, packDigest, packKey } from '#core/storage/body-keys.ts';

describe('body keys', () => {
  const sha = `ab${'0'.repeat(62)}`;
  it('spreads packs and single bodies by their first two hex digits', () => {
    assert.equal(blobKey(sha), `blobs/ab/${sha}`);
    assert.equal(packKey(sha), `packs/ab/${sha}`);
    assert.equal(packDigest(packKey(sha)), sha);
  });
  it('refuses what is not a digest, and reads only well-formed pack keys', () => {
    assert.throws(() => packKey('../../etc'), RangeError);
    assert.throws(() => blobKey(sha.toUpperCase()), RangeError);
    assert.equal(packDigest(`packs/cd/${sha}`), undefined, 'prefix must match the digest');
    assert.equal(packDigest(`blobs/ab/${sha}`), undefined);
    assert.equal(packDigest(`packs/ab/${sha}/x`), undefined);
  });
});
