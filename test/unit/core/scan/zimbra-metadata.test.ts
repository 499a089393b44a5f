import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  contactFieldsOf,
  decodeMetadata,
  encodeMetadata,
  MetadataError,
} from '#core/scan/zimbra-metadata.ts';

describe('Zimbra metadata (bencoding)', () => {
  it('encodes maps with sorted keys, strings by UTF-16 length, integers and lists', () => {
    assert.equal(encodeMetadata({ b: 1, a: ['x', -2] }), 'd1:al1:xi-2ee1:bi1ee');
    // "é" is one UTF-16 unit, "😀" two: Java's String.length() counts the same way.
    assert.equal(encodeMetadata('é😀'), '3:é😀');
  });

  it('decodes what it encodes', () => {
    const value = { fld: { email: 'a@example.net', firstName: 'Ann:e' }, v: 10, l: ['1', 2, { z: '' }] };
    assert.deepEqual(decodeMetadata(encodeMetadata(value)), value);
  });

  it('reads contact fields from `fld`', () => {
    assert.deepEqual(contactFieldsOf('d3:fldd5:email5:a@b.c9:firstName3:Annee'), {
      email: 'a@b.c',
      firstName: 'Ann',
    });
    assert.deepEqual(contactFieldsOf(null), {});
    assert.deepEqual(contactFieldsOf('d1:vi10ee'), {});
  });

  for (const [what, text] of [
    ['truncated', 'd3:fldd5:email5:a@b'],
    ['trailing bytes', 'i1ei2e'],
    ['a string running past the end', '10:abc'],
    ['a bad integer', 'i1x2e'],
    ['a non-string key', 'di1ei2ee'],
    ['garbage', 'x'],
  ] as const)
    it(`refuses ${what}`, () => {
      assert.throws(() => decodeMetadata(text), MetadataError);
    });

  it('refuses contact metadata whose fields are not a map', () => {
    assert.throws(() => contactFieldsOf('d3:fld3:abce'), MetadataError);
  });
});
