import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FOLDER_ID } from '#core/mail-item.ts';
import type { OpData } from '#core/redo/redo-record.ts';
import { MailStateReplayer } from '#core/redo/replay-mail-state.ts';
import { applyOpsAt } from '#test/support/replayed-ops.ts';

// A retention purge's record carries no ids: the index removes nothing and says when the mailbox may differ.

const DAY = 24 * 3600 * 1000;
const t0 = Date.UTC(2026, 0, 1);
const contact = (contactId: number, folderId: number): OpData => ({
  op: 'CreateContact',
  contactId,
  folderId,
  tagIds: '',
  fields: [['lastName', `L${contactId}`]],
});
const move = (id: number, destFolderId: number): OpData => ({
  op: 'MoveItem',
  ids: [id],
  itemType: 6,
  destFolderId,
  constraint: null,
  uidNext: -1,
});

function mailbox(): MailStateReplayer {
  const replayer = new MailStateReplayer();
  applyOpsAt(replayer, t0, { op: 'CreateMailbox', accountId: 'acct-1' });
  applyOpsAt(replayer, t0, {
    op: 'CreateFolder',
    name: 'old',
    parentId: FOLDER_ID.trash,
    view: 0,
    flags: 0,
    color: 0,
    url: null,
    folderId: 300,
  });
  return replayer;
}

describe('PurgeOldMessages', () => {
  it('removes nothing, and marks the mailbox uncertain only when Trash or Junk holds items unchanged for 30 days', () => {
    const replayer = mailbox();
    applyOpsAt(replayer, t0, contact(400, FOLDER_ID.contacts), contact(401, FOLDER_ID.contacts));
    applyOpsAt(replayer, t0 + 1, contact(402, FOLDER_ID.contacts));
    // 400 to Trash on day 1, 401 to a folder below Trash on day 2, 402 to Junk on day 20.
    applyOpsAt(replayer, t0 + DAY, move(400, FOLDER_ID.trash));
    applyOpsAt(replayer, t0 + 2 * DAY, move(401, 300));
    applyOpsAt(replayer, t0 + 20 * DAY, move(402, FOLDER_ID.junk));
    const before = replayer.state;

    applyOpsAt(replayer, t0 + 30 * DAY, { op: 'PurgeOldMessages' });
    assert.equal(replayer.uncertain.length, 0, 'nothing there for 30 days yet');
    applyOpsAt(replayer, t0 + 32 * DAY + 1, { op: 'PurgeOldMessages' });
    assert.equal(replayer.uncertain.length, 1);
    assert.match(replayer.uncertain[0]?.reason ?? '', /2 items .* \(400, 401\)/);
    assert.deepEqual(replayer.state, before, 'nothing removed');
  });

  it("a server's calendar fix always leaves the mailbox uncertain", () => {
    const replayer = mailbox();
    applyOpsAt(replayer, t0, { op: 'FixCalendarItemEndTime', calItemId: 500 });
    assert.equal(replayer.uncertain.length, 1);
    assert.match(replayer.uncertain[0]?.reason ?? '', /end time;.*\(item 500\)/);
  });
});
