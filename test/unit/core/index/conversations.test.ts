import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyTransaction, entityNeeds } from '#core/index/apply-transaction.ts';
import { parseTargetConstraint } from '#core/index/conversations.ts';
import { itemKey } from '#core/index/index-entity.ts';
import { VersionOverlay } from '#core/index/version-overlay.ts';
import { FLAG, FOLDER_ID, ITEM_TYPE } from '#core/mail-item.ts';
import type { CreateMessageData, OpData, RecordHeader } from '#core/redo/redo-record.ts';
import { MailStateReplayer } from '#core/redo/replay-mail-state.ts';
import { zimbraDigest } from '#core/zimbra-digest.ts';
import { createMessageOp } from '#test/support/redo-fixtures.ts';
import { applyOps } from '#test/support/replayed-ops.ts';

// Conversation-view actions name a conversation, not its messages (Mailbox.move/alterTag/delete with type
// CONVERSATION): the index finds the messages that name it and the ones the target constraint lets in.

const ARCHIVE = 300;
const UNDER_TRASH = 301;
const DEEPER = 302;

let n = 0;
const deliver = (msgId: number, fields: Partial<CreateMessageData> = {}): OpData => {
  const body = Buffer.from(`Subject: m${msgId}\r\n\r\nbody ${msgId} ${n}\r\n`);
  return createMessageOp(n++, body, {
    msgId,
    digest: zimbraDigest(body),
    tags: null,
    path: null,
    flags: FLAG.unread,
    ...fields,
  });
};
const folder = (folderId: number, parentId: number, name: string): OpData => ({
  op: 'CreateFolder',
  name,
  parentId,
  view: 0,
  flags: 0,
  color: 0,
  url: null,
  folderId,
});
const convAction = (
  op: 'MoveItem' | 'DeleteItem' | 'AlterItemTag',
  ids: number[],
  constraint: string | null,
  extra: { destFolderId?: number; tagName?: string; tagged?: boolean } = {},
): OpData => {
  const base = { ids, itemType: ITEM_TYPE.conversation, constraint };
  if (op === 'MoveItem') return { op, ...base, destFolderId: extra.destFolderId ?? ARCHIVE, uidNext: -1 };
  if (op === 'DeleteItem') return { op, ...base };
  return { op, ...base, tagName: extra.tagName ?? '\\Unread', tagged: extra.tagged ?? false };
};
const moveMessage = (id: number, destFolderId: number): OpData => ({
  op: 'MoveItem',
  ids: [id],
  itemType: ITEM_TYPE.message,
  destFolderId,
  constraint: null,
  uidNext: -1,
});

function mailbox(): MailStateReplayer {
  const replayer = new MailStateReplayer();
  applyOps(
    replayer,
    { op: 'CreateMailbox', accountId: 'acct-1' },
    folder(ARCHIVE, FOLDER_ID.inbox, 'archive'),
    folder(UNDER_TRASH, FOLDER_ID.trash, 'old'),
    folder(DEEPER, UNDER_TRASH, 'older'),
  );
  return replayer;
}

const messages = (r: MailStateReplayer) => r.state.mailboxes['1']?.messages ?? {};
const folderOf = (r: MailStateReplayer, id: number) => messages(r)[id]?.folderId;
const unread = (r: MailStateReplayer, id: number) => ((messages(r)[id]?.flags ?? 0) & FLAG.unread) !== 0;

/** 400 alone, then 401 starts conversation 500 with it; 402 (in Sent) and 403 (in Trash) join it. */
function thread(r: MailStateReplayer): void {
  applyOps(
    r,
    deliver(400),
    deliver(401, { convId: 500, convFirstMsgId: 400 }),
    deliver(402, { convId: 500, folderId: FOLDER_ID.sent }),
    deliver(403, { convId: 500, folderId: FOLDER_ID.trash }),
    deliver(404),
  );
}

describe('conversations', () => {
  it('a conversation moved reaches its messages that the constraint lets in, not other messages', () => {
    const r = mailbox();
    thread(r);
    applyOps(r, convAction('MoveItem', [500], '-dtjs'));
    assert.equal(folderOf(r, 400), ARCHIVE, 'the message the conversation was made from');
    assert.equal(folderOf(r, 401), ARCHIVE);
    assert.equal(folderOf(r, 402), FOLDER_ID.sent, 'Sent is excluded');
    assert.equal(folderOf(r, 403), FOLDER_ID.trash, 'Trash is excluded');
    assert.equal(folderOf(r, 404), FOLDER_ID.inbox, 'not in the conversation');
    assert.deepEqual(r.warnings, []);
  });

  it('read, flags and deletes reach the conversation too; without a constraint every message', () => {
    const r = mailbox();
    thread(r);
    applyOps(r, convAction('AlterItemTag', [500], null));
    assert.deepEqual(
      [400, 401, 402, 403, 404].map((id) => unread(r, id)),
      [false, false, false, false, true],
    );
    applyOps(r, convAction('AlterItemTag', [500], 't', { tagName: '\\Flagged', tagged: true }));
    assert.deepEqual(
      Object.entries(messages(r))
        .filter(([, m]) => m.flags & FLAG.flagged)
        .map(([id]) => Number(id)),
      [403],
      'only the message in Trash',
    );
    applyOps(r, convAction('DeleteItem', [500], '-dtjs'));
    assert.deepEqual(Object.keys(messages(r)).map(Number), [402, 403, 404]);
  });

  it('a negative id is a message alone (its virtual conversation)', () => {
    const r = mailbox();
    thread(r);
    applyOps(r, convAction('MoveItem', [-404], null));
    assert.equal(folderOf(r, 404), ARCHIVE);
    applyOps(r, convAction('MoveItem', [-401], null));
    assert.equal(folderOf(r, 401), FOLDER_ID.inbox, '401 is in a real conversation: −401 names nothing');
  });

  it('conversations merged into a delivery move their messages to it', () => {
    const r = mailbox();
    thread(r);
    applyOps(
      r,
      deliver(405),
      deliver(406, { convId: 600, convFirstMsgId: 405 }),
      deliver(407, { convId: 500, mergedConvIds: [600] }),
    );
    applyOps(r, convAction('MoveItem', [500], '-dtjs'));
    assert.deepEqual(
      [400, 401, 405, 406, 407].map((id) => folderOf(r, id)),
      [ARCHIVE, ARCHIVE, ARCHIVE, ARCHIVE, ARCHIVE],
    );
    applyOps(r, convAction('MoveItem', [600], null, { destFolderId: FOLDER_ID.inbox }));
    assert.equal(folderOf(r, 405), ARCHIVE, 'the merged conversation is empty');
  });

  it('a message moved alone into Junk leaves its conversation', () => {
    const r = mailbox();
    thread(r);
    applyOps(r, moveMessage(401, FOLDER_ID.junk), moveMessage(401, FOLDER_ID.inbox));
    applyOps(r, convAction('MoveItem', [500], null));
    assert.equal(folderOf(r, 400), ARCHIVE);
    assert.equal(folderOf(r, 401), FOLDER_ID.inbox);
  });

  it('a copy stays in its source conversation; an IMAP copy takes the source place in it', () => {
    const r = mailbox();
    thread(r);
    applyOps(
      r,
      {
        op: 'CopyItem',
        itemType: ITEM_TYPE.message,
        destFolderId: FOLDER_ID.inbox,
        copies: [{ sourceId: 401, newId: 410 }],
      },
      {
        op: 'ImapCopyItem',
        itemType: ITEM_TYPE.message,
        destFolderId: FOLDER_ID.inbox,
        copies: [{ sourceId: 400, newId: 411 }],
      },
      convAction('MoveItem', [500], '-dtjs'),
    );
    assert.deepEqual(
      [400, 401, 410, 411].map((id) => folderOf(r, id)),
      [FOLDER_ID.inbox, ARCHIVE, ARCHIVE, ARCHIVE],
    );
  });

  it('a conversation copied: its messages copies form the new conversation the record names', () => {
    const r = mailbox();
    thread(r);
    applyOps(r, {
      op: 'CopyItem',
      itemType: ITEM_TYPE.conversation,
      destFolderId: FOLDER_ID.inbox,
      copies: [
        { sourceId: 400, newId: 420 },
        { sourceId: 401, newId: 421 },
        { sourceId: 500, newId: 700 },
      ],
    });
    assert.deepEqual(r.warnings, []);
    applyOps(r, convAction('MoveItem', [700], null));
    assert.deepEqual(
      [400, 401, 420, 421].map((id) => folderOf(r, id)),
      [FOLDER_ID.inbox, FOLDER_ID.inbox, ARCHIVE, ARCHIVE],
    );
  });

  it('a message moved into Trash, or a folder below it, is read; one moved within Trash keeps its state', () => {
    const r = mailbox();
    applyOps(r, deliver(400), deliver(401), deliver(402, { folderId: FOLDER_ID.trash }));
    applyOps(r, moveMessage(400, FOLDER_ID.trash), moveMessage(401, DEEPER), moveMessage(402, UNDER_TRASH));
    assert.deepEqual(
      [400, 401, 402].map((id) => unread(r, id)),
      [false, false, true],
    );
  });

  it('reads a target constraint as the server encodes it', () => {
    assert.equal(parseTargetConstraint(null), null);
    assert.equal(parseTargetConstraint('t'), 0x01);
    assert.equal(parseTargetConstraint('-dtjs'), 0x20, 'everything else: others');
    assert.equal(parseTargetConstraint('tjq in:inbox'), 0x03, 'the query is not checked');
    assert.equal(parseTargetConstraint(''), 0, 'nothing included');
    assert.equal(parseTargetConstraint('x'), undefined);
    assert.equal(parseTargetConstraint('t-'), undefined, 'a minus only leads');
  });

  it('an unreadable constraint takes every message and says so', () => {
    const r = mailbox();
    thread(r);
    applyOps(r, convAction('MoveItem', [500], 'x'));
    assert.equal(folderOf(r, 402), ARCHIVE);
    assert.match(r.warnings.join('\n'), /target constraint "x" does not parse/);
  });

  it('a conversation action reads the conversation, not the whole mailbox; a delete of messages neither', () => {
    const needsOf = (data: OpData) =>
      entityNeeds({
        txnId: { time: 1, counter: 1 },
        commitTime: 1,
        commit: {} as never,
        ops: [{ offset: 0, length: 0, header: { mailboxId: 1 } as never, data }],
      });
    const move = needsOf(convAction('MoveItem', [500, -404], '-dtjs'));
    assert.ok(move.some((n) => 'conversation' in n && n.conversation === 500));
    assert.ok(
      move.some((n) => 'key' in n && n.key === itemKey(404)),
      'a message alone is read by its id',
    );
    assert.ok(!move.some((n) => 'all' in n));
    const deleted = needsOf({ op: 'DeleteItem', ids: [400], itemType: ITEM_TYPE.message, constraint: null });
    assert.ok(!deleted.some((n) => 'all' in n));
    for (const itemType of [ITEM_TYPE.folder, ITEM_TYPE.document, ITEM_TYPE.unknown])
      assert.ok(
        needsOf({ op: 'DeleteItem', ids: [400], itemType, constraint: null }).some((n) => 'all' in n),
        `a delete of type ${itemType} may take a subtree or comments`,
      );
  });

  it('every message that joins a conversation is recorded for the store, once', () => {
    const overlay = new VersionOverlay();
    overlay.load(1, 'mailbox', {
      state: { kind: 'mailbox', accountId: 'a', renamedTo: null },
      fromPos: 'P0',
      fromTime: 0,
      prevFrom: null,
      prevTo: null,
      op: 'CreateMailbox',
    });
    overlay.markComplete(1);
    let pos = 1;
    const apply = (data: OpData) => {
      overlay.begin(`P${pos++}`, pos, data.op);
      const record = { offset: pos * 10, length: 10, header: { mailboxId: 1 } as RecordHeader, data };
      applyTransaction(
        { txnId: { time: 1, counter: pos }, commitTime: pos, commit: record, ops: [record] },
        overlay,
      );
    };
    apply(deliver(400));
    apply(deliver(401, { convId: 500, convFirstMsgId: 400 }));
    apply(deliver(405));
    apply(deliver(406, { convId: 600, convFirstMsgId: 405 }));
    apply(deliver(407, { convId: 500, mergedConvIds: [600] }));
    apply({
      op: 'CopyItem',
      itemType: ITEM_TYPE.message,
      destFolderId: FOLDER_ID.inbox,
      copies: [{ sourceId: 401, newId: 410 }],
    });
    apply(convAction('AlterItemTag', [500], null));
    assert.deepEqual(overlay.conversationJoins.map((j) => `${j.convId}:${j.messageId}`).sort(), [
      '500:400',
      '500:401',
      '500:405',
      '500:406',
      '500:407',
      '500:410',
      '600:405',
      '600:406',
    ]);
  });
});
