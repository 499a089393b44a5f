import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EntityState, MailboxEntity } from '#core/index/index-entity.ts';
import { redoPosition } from '#core/index/redo-position.ts';
import { FLAG } from '#core/mail-item.ts';
import { positionOfSequence } from '#core/restore/restore-point.ts';
import {
  deletedBetween,
  type EntityRecord,
  itemsAt,
  stateAt,
  stateIgnoringDeletes,
} from '#core/restore/restore-selection.ts';

// One message's life, as the index records it: delivered to Inbox at t=10, moved to "Work" at t=20, to
// Trash at t=30, and Trash emptied at t=40. A folder "Work" lives from t=5.

const mailbox: MailboxEntity = { kind: 'mailbox', accountId: 'a1', renamedTo: null };
const message = (folderId: number, flags = 0): EntityState => ({
  kind: 'message',
  folderId,
  flags,
  tags: [],
  digest: 'd',
  size: 3,
  sha256: 'f'.repeat(64),
  receivedDate: 10,
});
const at = (t: number) => redoPosition(1n, t);
const version = (
  key: string,
  state: EntityState,
  from: number,
  to?: number,
  deleted = false,
): EntityRecord => ({
  key,
  state,
  fromPos: at(from),
  fromTime: from,
  ...(to === undefined ? {} : { toPos: at(to), toTime: to }),
  deleted,
});
const records: EntityRecord[] = [
  version('item:300', { kind: 'folder', name: 'Work', parentId: 1 }, 5),
  version('item:257', message(2), 10, 20),
  version('item:257', message(300, FLAG.deleted), 20, 30),
  version('item:257', message(3, FLAG.deleted), 30, 40, true),
];

describe('what each restore mode takes from a mailbox history', () => {
  it('point in time: the state valid at the instant, by time or by redo position', () => {
    assert.equal(stateAt(mailbox, records, { time: 25 }).messages['257']?.folderId, 300);
    assert.deepEqual(stateAt(mailbox, records, { time: 40 }).messages, {});
    assert.equal(stateAt(mailbox, records, { position: at(29) }).messages['257']?.folderId, 300);
    assert.equal(stateAt(mailbox, records, { time: 9 }).folders['300']?.name, 'Work');
  });

  it('skip-deletes: a message emptied from Trash is back where it was before it went to Trash', () => {
    const state = stateIgnoringDeletes(mailbox, records, { time: 50 });
    assert.equal(state.messages['257']?.folderId, 300);
    assert.deepEqual(stateIgnoringDeletes(mailbox, records, { time: 9 }).messages, {}, 'not yet delivered');
  });

  it('undelete: what was deleted in the window, into a folder of its own, deleted flag cleared', () => {
    const state = deletedBetween(mailbox, records, 35, 45, 'Recovered');
    const [folderId, folder] = Object.entries(state.folders)[0] ?? [];
    assert.deepEqual(folder, { name: 'Recovered', parentId: 1 });
    const { kind: _kind, ...plain } = message(3) as Extract<EntityState, { kind: 'message' }>;
    assert.deepEqual(state.messages['257'], { ...plain, folderId: Number(folderId) });
    assert.deepEqual(
      deletedBetween(mailbox, records, 41, 50, 'Recovered').messages,
      {},
      'outside the window',
    );
  });

  it('single item: live at the instant, else its last state; its folder comes along; unknown ids are missing', () => {
    const before = itemsAt(mailbox, records, [257, 999], { time: 25 });
    assert.equal(before.state.messages['257']?.folderId, 300);
    assert.deepEqual(before.state.folders['300'], { name: 'Work', parentId: 1 });
    assert.deepEqual(before.missing, [999]);
    const gone = itemsAt(mailbox, records, [257], { time: 50 });
    assert.equal(
      gone.state.messages['257']?.folderId,
      300,
      'its last state, out of the Trash it was emptied from',
    );
    assert.equal(gone.state.messages['257']?.flags, FLAG.deleted);
    const chosen = itemsAt(mailbox, records, [257], { time: 25 }, 'Here');
    assert.deepEqual(Object.values(chosen.state.folders), [{ name: 'Here', parentId: 1 }]);
  });

  it('single item: a document comes back with the comments it had then (or, gone, those that went with it), into a chosen folder too', () => {
    const document: EntityState = {
      kind: 'document',
      type: 'document',
      folderId: 16,
      flags: 0,
      tags: [],
      name: 'plan.txt',
      description: '',
      revisions: [],
    };
    const comment = (text: string): EntityState => ({
      kind: 'note',
      type: 'comment',
      folderId: 17,
      flags: 0,
      tags: [],
      text,
      date: 10,
      parentId: 400,
      creatorId: 'a2',
    });
    const history: EntityRecord[] = [
      version('item:400', document, 10, 60, true),
      version('item:500', comment('kept'), 12, 60, true),
      version('item:501', comment('removed early'), 13, 20, true),
      version('item:502', comment('later'), 30, 60, true),
      version(
        'item:600',
        { ...(comment('elsewhere') as Extract<EntityState, { kind: 'note' }>), parentId: 401 },
        14,
      ),
    ];
    const texts = (state: ReturnType<typeof itemsAt>['state']) =>
      Object.values(state.notes ?? {})
        .map((n) => n.text)
        .sort();
    assert.deepEqual(texts(itemsAt(mailbox, history, [400], { time: 25 }).state), ['kept']);
    assert.deepEqual(
      texts(itemsAt(mailbox, history, [400], { time: 70 }).state),
      ['kept', 'later'],
      'not the comment deleted before its document',
    );
    const chosen = itemsAt(mailbox, history, [400], { time: 25 }, 'Here').state;
    assert.equal(chosen.notes?.['500']?.folderId, 17, 'a comment stays with its document');
  });

  it('a redo sequence means the end of that file', () => {
    assert.equal(positionOfSequence('7'), `${'7'.padStart(20, '0')}:${'9'.repeat(20)}`);
    assert.equal(positionOfSequence('7:4096'), redoPosition(7n, 4096));
  });
});
