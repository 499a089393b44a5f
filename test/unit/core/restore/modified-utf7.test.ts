import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeModifiedUtf7 } from '#core/restore/modified-utf7.ts';

// RFC 3501 5.1.3's own example and the cases around it.

describe('modified UTF-7 mailbox names', () => {
  it('encodes as the RFC shows', () => {
    assert.equal(encodeModifiedUtf7('~peter/mail/台北/日本語'), '~peter/mail/&U,BTFw-/&ZeVnLIqe-');
    assert.equal(encodeModifiedUtf7('R&D'), 'R&-D');
    assert.equal(encodeModifiedUtf7('Café'), 'Caf&AOk-');
    assert.equal(encodeModifiedUtf7('plain ASCII [1]'), 'plain ASCII [1]');
    assert.equal(encodeModifiedUtf7('Привет'), '&BB8EQAQ4BDIENQRC-');
  });

  it('keeps characters outside the BMP as their surrogate pair', () => {
    assert.equal(encodeModifiedUtf7('😀'), '&2D3eAA-');
  });
});
