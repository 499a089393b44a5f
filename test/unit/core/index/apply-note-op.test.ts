import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { storedText, stripControlCharacters } from '#core/index/apply-note-op.ts';
import type { OpData } from '#core/redo/redo-record.ts';
import { MailStateReplayer } from '#core/redo/replay-mail-state.ts';
import { applyOpsAt, documentOp } from '#test/support/replayed-ops.ts';

// Notes and comments as Note.create / setContent / reposition and Comment.create leave them in the database.

const T = Date.UTC(2026, 11, 5, 9, 30, 15, 250);

function mailbox(): MailStateReplayer {
  const replayer = new MailStateReplayer();
  applyOpsAt(replayer, T, { op: 'CreateMailbox', accountId: 'acct-1' });
  return replayer;
}
const notes = (r: MailStateReplayer) => r.state.mailboxes['1']?.notes ?? {};
const createNote = (noteId: number, content: string, color = 0): OpData => ({
  op: 'CreateNote',
  noteId,
  folderId: 2,
  content,
  color,
  x: 10,
  y: 20,
  width: 300,
  height: 150,
});
const comment = (commentId: number, parentId: number, text: string): OpData => ({
  op: 'CreateComment',
  commentId,
  uuid: null,
  parentId,
  creatorId: 'acct-2',
  text,
});

describe('notes', () => {
  it('are created with the stored text, place and color, dated to the second of their transaction', () => {
    const r = mailbox();
    applyOpsAt(r, T, createNote(300, 'call\u0007 Bob\tat 10', 3));
    assert.deepEqual(notes(r)['300'], {
      type: 'note',
      folderId: 2,
      flags: 0,
      tags: [],
      text: 'call Bob\tat 10',
      date: Math.floor(T / 1000) * 1000,
      color: 3,
      bounds: '10,20,300,150',
    });
  });

  it('are edited (a new date only when the text changes), moved on screen, colored, tagged and deleted', () => {
    const r = mailbox();
    applyOpsAt(r, T, createNote(300, 'first'), { op: 'CreateTag', tagId: 64, name: 'todo', color: 0 });
    applyOpsAt(r, T + 60_000, { op: 'EditNote', noteId: 300, content: 'first' });
    assert.equal(notes(r)['300']?.date, Math.floor(T / 1000) * 1000, 'the same text changes nothing');
    applyOpsAt(
      r,
      T + 120_000,
      { op: 'EditNote', noteId: 300, content: 'second' },
      { op: 'RepositionNote', noteId: 300, x: -5, y: 0, width: 80, height: 40 },
      { op: 'ColorItem', ids: [300], itemType: 9, color: 5 },
      {
        op: 'AlterItemTag',
        ids: [300],
        itemType: 9,
        tagId: 64,
        tagName: 'todo',
        tagged: true,
        constraint: null,
      },
    );
    const note = notes(r)['300'];
    assert.equal(note?.text, 'second');
    assert.equal(note?.date, Math.floor((T + 120_000) / 1000) * 1000);
    assert.equal(note?.bounds, '-5,0,80,40');
    assert.equal(note?.color, 5);
    assert.deepEqual(note?.tags, ['todo']);
    applyOpsAt(r, T + 180_000, { op: 'ColorItem', ids: [300], itemType: 9, color: 0 });
    assert.equal(notes(r)['300']?.color, undefined, 'the default color is not kept');
    applyOpsAt(r, T + 240_000, { op: 'DeleteItem', ids: [300], itemType: 9, constraint: null });
    assert.deepEqual(notes(r), {});
  });

  it('an edit of a note the index never saw is reported, not invented', () => {
    const r = mailbox();
    applyOpsAt(r, T, { op: 'EditNote', noteId: 999, content: 'x' });
    assert.deepEqual(notes(r), {});
    assert.match(r.warnings.join('\n'), /EditNote .*note 999 of mailbox 1 is not known/);
  });

  it('a copy keeps the note under its new id, in the destination', () => {
    const r = mailbox();
    applyOpsAt(r, T, createNote(300, 'copied'), {
      op: 'CopyItem',
      itemType: 9,
      destFolderId: 5,
      copies: [{ sourceId: 300, newId: 301, newUuid: null }],
    } as OpData);
    assert.equal(notes(r)['301']?.text, 'copied');
    assert.equal(notes(r)['301']?.folderId, 5);
    assert.equal(notes(r)['300']?.folderId, 2);
  });
});

describe('comments on documents', () => {
  it('live in the Comments folder and go when their document is deleted, or its folder emptied', () => {
    const r = mailbox();
    applyOpsAt(
      r,
      T,
      documentOp(400, 'spec', 'SaveDocument'),
      documentOp(401, 'plan', 'SaveDocument'),
      comment(500, 400, 'looks good'),
      comment(501, 400, 'one more thing'),
      comment(502, 401, 'agreed'),
    );
    assert.deepEqual(notes(r)['500'], {
      type: 'comment',
      folderId: 17,
      flags: 0,
      tags: [],
      text: 'looks good',
      date: Math.floor(T / 1000) * 1000,
      parentId: 400,
      creatorId: 'acct-2',
    });
    applyOpsAt(r, T, { op: 'DeleteItem', ids: [400], itemType: 8, constraint: null });
    assert.deepEqual(Object.keys(notes(r)), ['502'], "the deleted document's comments went with it");
    applyOpsAt(r, T, { op: 'EmptyFolder', folderId: 16, subfolders: false });
    assert.deepEqual(notes(r), {});
  });
});

describe('stored text', () => {
  it('strips what StringUtil.stripControlCharacters strips and keeps surrogate pairs', () => {
    assert.equal(
      stripControlCharacters('a\u0000b\r\n\tc\uFFFEd\uD83D\uDE00e\uD83Df\uDE00g'),
      'ab\r\n\tcd\uD83D\uDE00efg',
    );
  });

  it('keeps the first 1,024 characters, trimmed the way Java trims, when longer', () => {
    assert.equal(storedText('short '), 'short ', 'not cut: not trimmed');
    const long = `${' '.repeat(3)}${'x'.repeat(1019)}  tail`;
    assert.equal(storedText(long), 'x'.repeat(1019));
  });
});
