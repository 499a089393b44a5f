import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ITEM_TYPE } from '#core/mail-item.ts';
import { entryName, zimbraArchiveItems, zimbraFolderPaths } from '#core/restore/zimbra-archive-items.ts';
import { fixtureAccount } from '#test/support/bundle-fixture.ts';

// Entry names follow ArchiveFormatter.getEntryName, so an archive we write lists like one Zimbra exports.

describe('Zimbra archive entry names', () => {
  it('prefix the id in ten digits, or name the type and id when the item has no name', () => {
    assert.equal(
      entryName({ dir: 'Inbox', id: 257, type: ITEM_TYPE.message, ext: 'eml' }),
      'Inbox/message-257.eml',
    );
    assert.equal(
      entryName({ dir: 'Calendar', id: 600, type: ITEM_TYPE.appointment, name: 'Standup', ext: 'appt' }),
      'Calendar/0000000600-Standup.appt',
    );
    assert.equal(entryName({ dir: '', id: 300, type: ITEM_TYPE.folder, name: 'Work' }), '0000000300-Work');
  });

  it('cut long names to 120 characters, replace illegal characters, drop trailing dots', () => {
    const long = entryName({
      dir: 'B',
      id: 1,
      type: ITEM_TYPE.document,
      name: 'x'.repeat(200),
      prefix: false,
    });
    assert.equal(long, `B/${'x'.repeat(120)}`);
    assert.equal(
      entryName({ dir: 'B', id: 1, type: ITEM_TYPE.document, name: 'a:b*c?"d<e>f|g/h..', prefix: false }),
      'B/a_b_c__d_e_f_g_h',
    );
  });

  it('put a revision number before an extension of up to four characters', () => {
    const doc = (name: string) =>
      entryName({ dir: 'B', id: 9, type: ITEM_TYPE.document, name, prefix: false, version: 3 });
    assert.equal(doc('plan.txt'), 'B/plan-00003.txt');
    assert.equal(doc('archive.tar.gz'), 'B/archive.tar-00003.gz');
    assert.equal(doc('notes.markdown'), 'B/notes.markdown-00003');
  });

  it('give folders their Zimbra paths and items the path of their folder', () => {
    const account = fixtureAccount();
    account.folders.push({ id: 301, name: 'Sub', parentId: 300 });
    const paths = zimbraFolderPaths(account);
    assert.equal(paths.get(1), '/');
    assert.equal(paths.get(2), '/Inbox');
    assert.equal(paths.get(301), '/Work/Sub');
    const { items } = zimbraArchiveItems(account);
    assert.deepEqual(
      items.filter((i) => i.kind === 'folder').map((i) => i.data.path),
      ['/Inbox', '/Work', '/Work/Sub'],
      'folders sorted by path, parents first',
    );
    assert.deepEqual(
      items.filter((i) => i.kind === 'message').map((i) => i.data.path),
      ['/Inbox/', '/Work/'],
    );
  });

  it('leave out a calendar item whose invites do not decode, and a comment, saying why', () => {
    const account = fixtureAccount();
    account.calendar.push({
      id: 700,
      folderId: 2,
      type: 'appointment',
      flags: 0,
      tags: [],
      uid: 'x',
      invites: ['d1:u3:abc'],
    });
    account.notes.push({ id: 701, folderId: 2, type: 'comment', flags: 0, tags: [], text: 'hi', date: 0 });
    const { items, left } = zimbraArchiveItems(account);
    assert.equal(items.filter((i) => i.data.id === 700 || i.data.id === 701).length, 0);
    assert.deepEqual(
      left.map((l) => [l.kind, l.id]),
      [
        ['appointment', 700],
        ['comment', 701],
      ],
    );
    assert.match(left[0]?.reason ?? '', /invites do not decode/);
  });
});
