import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { itemKey, MAILBOX_KEY, type MessageEntity, tagKey } from '#core/index/index-entity.ts';
import { reconcileScan } from '#core/index/reconcile-scan.ts';
import { VersionOverlay } from '#core/index/version-overlay.ts';
import type { ScanSnapshot } from '#core/scan/scan-snapshot.ts';

const sha = (c: string) => c.repeat(64);
const message = (folderId: number, extra: Partial<MessageEntity> = {}): MessageEntity => ({
  kind: 'message',
  folderId,
  flags: 0,
  tags: [],
  digest: 'd',
  size: 10,
  sha256: sha('a'),
  receivedDate: 1_795_000_000_000,
  ...extra,
});
const snapshot = (messages: ScanSnapshot['messages']): ScanSnapshot => ({
  header: {
    type: 'header',
    format: 'offsite-scan/1',
    scanId: 'full-1',
    kind: 'full',
    serverId: 'srv',
    mailboxId: 1,
    accountId: 'acct-1',
    accountName: 'ann@example.com',
    changeCheckpoint: 5,
    position: { seq: '1', offset: '600' },
    takenAt: '2026-11-22T10:00:00.000Z',
  },
  folders: [
    { type: 'folder', id: 1, name: 'USER_ROOT', parentId: 1 },
    { type: 'folder', id: 2, name: 'Inbox', parentId: 1 },
  ],
  tags: [{ type: 'tag', id: 64, name: 'work' }],
  messages,
  contacts: [],
  calendar: [],
  documents: [],
});
const scanned = (id: number, folderId: number, extra: Partial<ScanSnapshot['messages'][number]> = {}) => ({
  type: 'message' as const,
  id,
  folderId,
  flags: 0,
  tags: [],
  digest: 'd',
  size: 10,
  sha256: sha('a'),
  receivedDate: 1_795_000_000_000,
  ...extra,
});

function loaded(entities: [string, ReturnType<typeof message> | { kind: string; [k: string]: unknown }][]) {
  const overlay = new VersionOverlay();
  for (const [key, state] of entities)
    overlay.load(1, key, {
      state: state as never,
      fromPos: '00000000000000000001:00000000000000000512',
      fromTime: 1,
      prevFrom: null,
      prevTo: null,
      op: 'CreateMessage',
    });
  overlay.markComplete(1);
  overlay.begin('00000000000000000001:00000000000000000599#000001795000000', 2, 'Scan');
  return overlay;
}

describe('reconciling a mailbox with a scan', () => {
  it('adds a mailbox the index never saw, with everything in it', () => {
    const overlay = loaded([]);
    const changes = reconcileScan(snapshot([scanned(300, 2, { tags: ['work'] })]), overlay);
    assert.equal(changes.mailboxAdded, true);
    assert.deepEqual([changes.added, changes.changed, changes.deleted], [4, 0, 0]);
    assert.deepEqual(overlay.get(1, MAILBOX_KEY), { kind: 'mailbox', accountId: 'acct-1', renamedTo: null });
    assert.deepEqual(overlay.get(1, tagKey('work')), { kind: 'tag', tagId: 64 });
    assert.equal((overlay.get(1, itemKey(300)) as MessageEntity).tags[0], 'work');
  });

  it('changes only what differs, keeps what only the redo stream knew, deletes what the server lost', () => {
    const overlay = loaded([
      [MAILBOX_KEY, { kind: 'mailbox', accountId: 'acct-1', renamedTo: null }],
      [itemKey(1), { kind: 'folder', parentId: 1, name: 'USER_ROOT' }], // another key order, same folder
      [itemKey(2), { kind: 'folder', name: 'Inbox', parentId: 1 }],
      [tagKey('work'), { kind: 'tag', tagId: 64 }],
      [itemKey(300), message(2, { subject: 'from the body', receivedDate: 1_795_000_000_123 })],
      [itemKey(301), message(2)],
      [itemKey(302), message(2)],
    ]);
    const changes = reconcileScan(snapshot([scanned(300, 2), scanned(301, 3)]), overlay);
    assert.equal(changes.mailboxAdded, false);
    assert.deepEqual([changes.added, changes.changed, changes.deleted, changes.unchanged], [0, 1, 1, 4]);
    assert.deepEqual(changes.details, [
      { key: itemKey(301), change: 'changed', fields: ['folderId'] },
      { key: itemKey(302), change: 'deleted' },
    ]);
    assert.equal((overlay.get(1, itemKey(301)) as MessageEntity).folderId, 3);
    assert.equal(overlay.get(1, itemKey(302)), null);
    // Unchanged: the subject read from the body and the millisecond of the redo date stay.
    assert.equal((overlay.get(1, itemKey(300)) as MessageEntity).subject, 'from the body');
    assert.equal(overlay.versions.length, 2, 'the two changes close two versions, nothing else');
  });

  it("keeps a message's conversation through a snapshot that names none; one that names it restates it and records the join", () => {
    const overlay = loaded([
      [MAILBOX_KEY, { kind: 'mailbox', accountId: 'acct-1', renamedTo: null }],
      [itemKey(300), message(2, { conv: 500 })],
      [itemKey(301), message(2, { conv: 500 })],
    ]);
    reconcileScan(
      snapshot([scanned(300, 3), scanned(301, 2, { conv: 600 }), scanned(302, 2, { conv: 600 })]),
      overlay,
    );
    assert.equal(
      (overlay.get(1, itemKey(300)) as MessageEntity).conv,
      500,
      'a snapshot that names no thread keeps the one the index has',
    );
    assert.equal((overlay.get(1, itemKey(301)) as MessageEntity).conv, 600);
    assert.equal((overlay.get(1, itemKey(302)) as MessageEntity).conv, 600);
    assert.deepEqual(overlay.conversationJoins.map((j) => `${j.convId}:${j.messageId}`).sort(), [
      '600:301',
      '600:302',
    ]);
  });

  it('ends a mailbox the server no longer has (an absent snapshot), and leaves an unknown one alone', () => {
    const overlay = loaded([
      [MAILBOX_KEY, { kind: 'mailbox', accountId: 'acct-1', renamedTo: null }],
      [itemKey(300), message(2)],
    ]);
    const absent: ScanSnapshot = { ...snapshot([]), folders: [], tags: [] };
    absent.header = { ...absent.header, absent: true };
    const changes = reconcileScan(absent, overlay);
    assert.deepEqual([changes.added, changes.changed, changes.deleted], [0, 0, 1]);
    assert.deepEqual(changes.details, [{ key: MAILBOX_KEY, change: 'deleted' }]);
    assert.equal(overlay.get(1, MAILBOX_KEY), null);
    // Its items keep their last versions: the mailbox's end ends them, as a DeleteMailbox does.
    assert.equal(overlay.get(1, itemKey(300))?.kind, 'message');

    const unknown = loaded([]);
    const none = reconcileScan(absent, unknown);
    assert.deepEqual([none.added, none.changed, none.deleted, none.mailboxAdded], [0, 0, 0, false]);
    assert.equal(unknown.versions.length, 0);
  });

  it('compares a document by value whatever order its stored revisions keep their keys in, and sees a purged revision', () => {
    const revision = (version: number) => ({
      version,
      name: 'plan.txt',
      contentType: 'text/plain',
      author: 'ann@example.com',
      date: 1_795_000_000_000 + version,
      size: 4,
      digest: 'x',
      sha256: sha(String(version)),
    });
    // As DynamoDB hands a map back: the same fields, another order.
    const reordered = (version: number) =>
      Object.fromEntries(Object.entries(revision(version)).reverse()) as ReturnType<typeof revision>;
    const stored = {
      kind: 'document',
      folderId: 16,
      type: 'document',
      flags: 0,
      tags: [],
      name: 'plan.txt',
      description: '',
      revisions: [reordered(1), reordered(2)],
    };
    const line = (versions: number[]) => ({
      ...snapshot([]),
      tags: [],
      documents: [
        {
          type: 'document' as const,
          id: 400,
          folderId: 16,
          itemType: 'document' as const,
          flags: 0,
          tags: [],
          name: 'plan.txt',
          description: '',
          revisions: versions.map(revision),
        },
      ],
    });
    const folders = (): [string, { kind: string; [k: string]: unknown }][] => [
      [itemKey(1), { kind: 'folder', name: 'USER_ROOT', parentId: 1 }],
      [itemKey(2), { kind: 'folder', name: 'Inbox', parentId: 1 }],
      [MAILBOX_KEY, { kind: 'mailbox', accountId: 'acct-1', renamedTo: null }],
    ];
    const same = reconcileScan(line([1, 2]), loaded([...folders(), [itemKey(400), stored]]));
    assert.deepEqual([same.added, same.changed, same.deleted], [0, 0, 0]);
    const purged = reconcileScan(line([2]), loaded([...folders(), [itemKey(400), stored]]));
    assert.deepEqual(purged.details, [{ key: itemKey(400), change: 'changed', fields: ['revisions'] }]);
  });

  it("restates notes from a snapshot that read them, and leaves the index's alone when the writer did not", () => {
    const note = (text: string) => ({
      kind: 'note',
      type: 'note',
      folderId: 2,
      flags: 0,
      tags: [],
      text,
      date: 1_795_000_000_000,
      bounds: '0,0,0,0',
    });
    const base = (): [string, { kind: string; [k: string]: unknown }][] => [
      [itemKey(1), { kind: 'folder', name: 'USER_ROOT', parentId: 1 }],
      [itemKey(2), { kind: 'folder', name: 'Inbox', parentId: 1 }],
      [MAILBOX_KEY, { kind: 'mailbox', accountId: 'acct-1', renamedTo: null }],
      [itemKey(310), note('old')],
      [itemKey(311), note('gone')],
    ];
    const withNotes: ScanSnapshot = {
      ...snapshot([]),
      tags: [],
      notes: [
        {
          type: 'note',
          id: 310,
          folderId: 2,
          itemType: 'note',
          flags: 0,
          tags: [],
          text: 'new',
          date: 1_795_000_000_000,
          bounds: '0,0,0,0',
        },
      ],
    };
    const overlay = loaded(base());
    const changes = reconcileScan(withNotes, overlay);
    assert.deepEqual(
      changes.details.map((d) => [d.key, d.change, d.fields]),
      [
        [itemKey(310), 'changed', ['text']],
        [itemKey(311), 'deleted', undefined],
      ],
    );
    const older = loaded(base());
    const unchanged = reconcileScan({ ...snapshot([]), tags: [] }, older);
    assert.equal(unchanged.deleted, 0, 'a snapshot without notes says nothing about them');
    assert.equal((older.get(1, itemKey(311)) as { text: string }).text, 'gone');
  });
});
