import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { headFromItem, versionsOfItem } from '#core/index/entity-items.ts';
import { entityWrites } from '#core/index/entity-writes.ts';
import { itemKey, type MessageEntity } from '#core/index/index-entity.ts';
import { itemSize } from '#core/index/item-size.ts';
import { VersionOverlay } from '#core/index/version-overlay.ts';
import { entityKeys } from '#core/index-keys.ts';

const key = itemKey(300);
const message = (folderId: number, flags: number, sha = 'a'): MessageEntity => ({
  kind: 'message',
  folderId,
  flags,
  tags: [],
  digest: 'ZGlnZXN0',
  sha256: sha.repeat(64),
  size: 4096,
  receivedDate: 1_700_000_000_000,
  subject: 'Figures for the second quarter',
  from: 'Ann Example <ann@example.com>',
});
const pos = (n: number) => `00000000000000000001:${String(n).padStart(20, '0')}`;

/** Applies `states` to item 300 of mailbox 7, one transaction each, after loading `overlay`'s heads. */
function change(overlay: VersionOverlay, states: (MessageEntity | null)[], from = 1): VersionOverlay {
  states.forEach((state, i) => {
    overlay.begin(pos(from + i), 1000 * (from + i), `Op${from + i}`);
    overlay.set(7, key, state);
  });
  return overlay;
}
const fresh = () => {
  const overlay = new VersionOverlay();
  overlay.load(7, key, null);
  return overlay;
};

describe('entityWrites', () => {
  it('stores changes that keep the body as riders of the head: one write each, read back whole', () => {
    const overlay = change(fresh(), [message(2, 0), message(2, 1), message(5, 1), message(5, 3)]);
    const writes = entityWrites('srv', overlay);
    assert.equal(writes.versions.length, 0, 'no version item of its own');
    assert.equal(writes.heads.length, 1);
    const head = headFromItem(writes.heads[0] as Record<string, unknown>);
    assert.deepEqual(head.state, message(5, 3));
    assert.deepEqual(head.riders, [...overlay.versions].reverse(), 'every closed version rides');
    assert.ok(itemSize(writes.heads[0] as Record<string, unknown>) <= 1024);
  });

  it('keeps riding on the riders a loaded head carried, and spills what no longer fits, chained', () => {
    const first = entityWrites('srv', change(fresh(), [message(2, 0), message(2, 1)]));
    const loaded = headFromItem(first.heads[0] as Record<string, unknown>);
    const overlay = new VersionOverlay();
    overlay.load(7, key, loaded);
    change(
      overlay,
      Array.from({ length: 12 }, (_, i) => message(2 + (i % 4), i + 2)),
      3,
    );
    const writes = entityWrites('srv', overlay);
    const head = headFromItem(writes.heads[0] as Record<string, unknown>);
    const all = [...(head.riders ?? []), ...writes.versions.flatMap(versionsOfItem)];
    assert.equal(all.length, 13, 'every version is stored once');
    assert.deepEqual(
      all.map((v) => v.fromPos),
      Array.from({ length: 13 }, (_, i) => pos(13 - i)),
      'newest first, the spilled ones in items of their own that carry the older ones in turn',
    );
    assert.ok(writes.versions.length < 13 - (head.riders?.length ?? 0), 'spilled versions ride too');
    for (const item of [...writes.heads, ...writes.versions]) assert.ok(itemSize(item) <= 1024);
  });

  it('stores a deletion and a new body as versions of their own, the older versions riding in them', () => {
    const overlay = change(fresh(), [
      message(2, 0),
      message(2, 1),
      message(3, 1, 'b'),
      message(3, 2, 'b'),
      null,
    ]);
    const writes = entityWrites('srv', overlay);
    assert.equal(writes.heads.length, 0, 'no tombstone');
    assert.equal(writes.deletions.length, 0, 'no head stored before, none to delete');
    const versions = writes.versions.map(versionsOfItem);
    // The deletion carries the version before it (same body); the new body ended the first body's run.
    assert.deepEqual(
      versions.map((vs) => vs.map((v) => [v.fromPos, v.deleted])),
      [
        [
          [pos(4), true],
          [pos(3), false],
        ],
        [
          [pos(2), false],
          [pos(1), false],
        ],
      ],
    );
  });

  it('deletes a stored head instead of writing a tombstone, naming the version the deletion closed', () => {
    const first = entityWrites('srv', change(fresh(), [message(2, 0)]));
    const overlay = new VersionOverlay();
    overlay.load(7, key, headFromItem(first.heads[0] as Record<string, unknown>));
    change(overlay, [message(3, 0), null], 2);
    const writes = entityWrites('srv', overlay);
    assert.equal(writes.heads.length, 0, 'no tombstone');
    const keys = entityKeys('srv', 7, key);
    assert.deepEqual(writes.deletions, [
      { pk: keys.pk, sk: keys.head, mailboxId: 7, key, prevFrom: pos(2), prevTo: 3000 },
    ]);
    // The version it names is stored under that key, and carries the move before it.
    const version = writes.versions.find((v) => v.sk === keys.version(3000, pos(2)));
    assert.ok(version, 'the closed version is an item of its own');
    assert.deepEqual(
      versionsOfItem(version).map((v) => [v.fromPos, v.deleted]),
      [
        [pos(2), true],
        [pos(1), false],
      ],
    );
  });

  it('writes a tombstone where a scan deletes again what an unfinished run deleted, so its retry sees it', () => {
    const first = entityWrites('srv', change(fresh(), [message(2, 0)]));
    const deletedAgain = (tombstoneUnfinished: boolean) => {
      const overlay = new VersionOverlay();
      overlay.load(7, key, headFromItem(first.heads[0] as Record<string, unknown>));
      overlay.markUnfinished(7, key);
      return entityWrites('srv', change(overlay, [null], 2), { tombstoneUnfinished });
    };
    const scan = deletedAgain(true);
    assert.equal(scan.deletions.length, 0);
    assert.equal(scan.heads.length, 1);
    const tombstone = headFromItem(scan.heads[0] as Record<string, unknown>);
    assert.equal(tombstone.state, null);
    assert.equal(tombstone.fromPos, pos(2));
    // The segment's own retry deletes the head again, as its first run did.
    const retry = deletedAgain(false);
    assert.equal(retry.heads.length, 0);
    assert.equal(retry.deletions.length, 1);
  });
});
