import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FLAG, ITEM_TYPE } from '#core/mail-item.ts';
import { encodeItemData, flagLetters, tagString } from '#core/restore/zimbra-item-data.ts';
import { parseItemData, tagNames } from '#test/support/zimbra-archive-reader.ts';

// ItemData as Zimbra's import reads it: the tag strings of the server's own test (ArchiveFormatterTest
// tagDecode), Flag.toString's letters in the enum's order, and the keys ItemData(String) requires.

describe('the .meta of an archive item', () => {
  it('writes tag names the way ArchiveFormatterTest expects and the import reads them back', () => {
    const cases: [string[], string][] = [
      [['foo'], 'foo'],
      [['fo:o'], 'fo\\:o'],
      [['foo', 'bar'], 'foo:bar'],
      [['fo:o', 'ba\\r'], 'fo\\:o:ba\\\\r'],
      [['1-Tag', '2-Tag'], '1-Tag:2-Tag'],
    ];
    for (const [tags, encoded] of cases) {
      assert.equal(tagString(tags), encoded, tags.join(','));
      assert.deepEqual(tagNames(encoded), tags, encoded);
    }
    // A lone tag with a backslash and no colon is read as is, so it is written as is.
    assert.deepEqual(tagNames(tagString(['ba\\r'])), ['ba\\r']);
  });

  it('spells flags as Flag.toString does: letters in declaration order, hidden flags left out', () => {
    assert.equal(flagLetters(FLAG.unread | FLAG.flagged), 'fu');
    assert.equal(flagLetters(FLAG.replied | FLAG.forwarded | FLAG.fromMe), 'srw');
    // Versioned (-13, "/") comes before Muted (-19, "(") although Muted's bit is higher.
    assert.equal(flagLetters((1 << 12) | (1 << 18)), '/(');
    assert.equal(flagLetters(1 << 4), '', 'Copied is hidden');
    assert.equal(flagLetters(0), '');
  });

  it('carries every key the import requires, dates in seconds, unread apart from the flags', () => {
    const bytes = encodeItemData({
      id: 257,
      type: ITEM_TYPE.message,
      parentId: -257,
      folderId: 2,
      date: 1_700_000_000_999,
      size: 42,
      blobDigest: 'digest',
      unread: true,
      flags: FLAG.unread | FLAG.flagged,
      metadata: 'de',
      path: '/Inbox/',
      tags: ['a:b', 'c'],
    });
    const read = parseItemData(bytes.toString('utf8'));
    assert.equal(read.id, 257);
    assert.equal(read.date, 1_700_000_000);
    assert.equal(read.unread, 1);
    assert.equal(read.flags, FLAG.flagged, 'the row keeps unread in its own column');
    assert.equal(read.flagBits, FLAG.unread | FLAG.flagged, 'FlagStr carries both');
    assert.deepEqual(read.tags, ['a:b', 'c']);
    assert.equal(read.path, '/Inbox/');
    assert.equal(read.blobDigest, 'digest');
    const json = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    for (const key of ['imap_id', 'mod_metadata', 'change_date', 'mod_content', 'Ver']) {
      const { [key]: _gone, ...rest } = json;
      assert.throws(() => parseItemData(JSON.stringify(rest)), new RegExp(key), `${key} is required`);
    }
    assert.throws(() => parseItemData(JSON.stringify({ ...json, Ver: 11 })), /unsupported data version/);
  });
});
