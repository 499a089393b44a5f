import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EntityState } from '#core/index/index-entity.ts';
import { EXPORT_MAILBOX_FORMAT } from '#core/transfer/export-format.ts';
import { exportMailboxOf } from '#core/transfer/export-mailbox-of.ts';

const header = {
  type: 'header' as const,
  format: EXPORT_MAILBOX_FORMAT,
  serverId: 'srv-1',
  mailboxId: 3,
  accountId: 'acc-1',
  accountName: 'ann@example.com',
  time: '2026-11-22T10:15:00.000Z',
};
const message = (sha256: string, extra: object = {}): EntityState => ({
  kind: 'message',
  folderId: 2,
  flags: 0,
  tags: [],
  digest: 'd',
  size: 5,
  sha256,
  receivedDate: 1,
  ...extra,
});

describe('exportMailboxOf', () => {
  it('writes items in id order, shortens search hints, and leaves out, saying why, what it cannot carry', () => {
    const { mailbox, unexportable } = exportMailboxOf(header, [
      ['item:300', message('b'.repeat(64), { subject: 'hi' })],
      ['mailbox', { kind: 'mailbox', accountId: 'acc-1', renamedTo: null }],
      ['item:2', { kind: 'folder', name: 'Inbox', parentId: 1 }],
      ['tag:work', { kind: 'tag', tagId: 64 }],
      ['item:257', message('a'.repeat(64))],
      ['item:258', message('')],
      ['item:259', message('c'.repeat(64), { subject: 'x'.repeat(5000) })],
      ['item:260', message('d'.repeat(64), { dummy: 1 })],
      ['item:400', { kind: 'contact', folderId: 7, fields: { n: 'y'.repeat(70_000) }, sha256: null }],
      ['item:401', { kind: 'contact', folderId: 7, fields: { n: 'bob' }, sha256: null }],
    ]);
    assert.deepEqual(
      mailbox.messages.map((m) => [m.id, m.subject?.length]),
      [
        [257, undefined],
        [259, 1024],
        [300, 2],
      ],
    );
    assert.deepEqual(mailbox.folders, [{ type: 'folder', id: 2, name: 'Inbox', parentId: 1 }]);
    assert.deepEqual(mailbox.tags, [{ type: 'tag', id: 64, name: 'work' }]);
    assert.deepEqual(
      mailbox.contacts.map((c) => c.id),
      [401],
    );
    assert.deepEqual(
      unexportable.map((u) => [u.id, u.kind]),
      [
        [258, 'message'],
        [260, 'message'],
        [400, 'contact'],
      ],
    );
    assert.match(unexportable[0]?.detail ?? '', /never shipped/);
    assert.match(unexportable[1]?.detail ?? '', /cannot carry/);
  });
});
