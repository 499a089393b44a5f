import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseScanSnapshot, ScanSnapshotError, sha256OfDigest } from '#core/scan/scan-snapshot.ts';
import { sha256Hex, zimbraDigest } from '#core/zimbra-digest.ts';

const body = Buffer.from('Subject: hi\r\n\r\nhello\r\n');
const header = {
  type: 'header',
  format: 'offsite-scan/1',
  scanId: 'full-1',
  kind: 'full',
  serverId: 'srv-1',
  mailboxId: 3,
  accountId: '0f0c6c2a-0000-4000-8000-000000000001',
  accountName: 'ann@example.com',
  changeCheckpoint: 1200,
  position: { seq: '7', offset: '4096' },
  takenAt: '2026-11-22T10:00:00.000Z',
};
const folder = { type: 'folder', id: 2, name: 'Inbox', parentId: 1 };
const message = {
  type: 'message',
  id: 257,
  folderId: 2,
  flags: 0,
  tags: ['work'],
  digest: zimbraDigest(body),
  size: body.length,
  sha256: sha256Hex(body),
  receivedDate: 1_795_000_000_000,
};
const lines = (...items: unknown[]) => `${items.map((i) => JSON.stringify(i)).join('\n')}\n`;
const end = (messages: number) => ({ type: 'end', folders: 1, tags: 0, messages, contacts: 0 });

describe('scan snapshots', () => {
  it('parses the snapshot of a mailbox the server no longer has', () => {
    const snapshot = parseScanSnapshot(
      lines({ ...header, absent: true }, { type: 'end', folders: 0, tags: 0, messages: 0, contacts: 0 }),
    );
    assert.equal(snapshot.header.absent, true);
    assert.equal(snapshot.folders.length + snapshot.messages.length, 0);
  });

  it('parses a whole snapshot', () => {
    const snapshot = parseScanSnapshot(lines(header, folder, message, end(1)));
    assert.equal(snapshot.header.mailboxId, 3);
    assert.deepEqual(
      snapshot.messages.map((m) => m.id),
      [257],
    );
  });

  for (const [what, text] of [
    ['an empty object', ''],
    ['a snapshot without its header', lines(folder, end(0))],
    ['a truncated snapshot (no trailer)', lines(header, folder, message)],
    ['a trailer that counts otherwise', lines(header, folder, message, end(2))],
    ['an item twice', lines(header, folder, message, message, end(2))],
    ['a line that is not JSON', `${lines(header, folder)}{"type":\n${lines(end(0))}`],
    ['an unknown key', lines(header, { ...folder, path: '../x' }, end(0))],
    ['a bad digest', lines(header, folder, { ...message, sha256: 'ABC' }, end(1))],
    ['a second header', lines(header, folder, header, end(0))],
    ['another format', lines({ ...header, format: 'offsite-scan/9' }, folder, end(0))],
    ['an absent mailbox that holds items', lines({ ...header, absent: true }, folder, end(0))],
    ['absent given as false', lines({ ...header, absent: false }, end(0))],
  ] as const)
    it(`refuses ${what}`, () => {
      assert.throws(() => parseScanSnapshot(text), ScanSnapshotError);
    });

  it('turns a SHA-256 Zimbra digest into hex, not a SHA-1 one', () => {
    assert.equal(sha256OfDigest(zimbraDigest(body)), sha256Hex(body));
    assert.equal(sha256OfDigest('xhHhCvTbCQLiOVzuzMPTpGJkgTc='), undefined);
  });
});
