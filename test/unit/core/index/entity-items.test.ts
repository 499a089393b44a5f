import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '#core/errors.ts';
import { headFromItem, headItem, versionFromItem, versionItem } from '#core/index/entity-items.ts';
import { MAILBOX_KEY } from '#core/index/index-entity.ts';
import type { EntityVersion } from '#core/index/version-overlay.ts';
import { LATEST_END, LEGACY_VERSION_KEYS, versionsEnded } from '#core/index-keys.ts';

const tag = { kind: 'tag' as const, tagId: 64 };
const version: EntityVersion = {
  mailboxId: 7,
  key: 'tag:urgent',
  state: tag,
  fromPos: '00000000000000000003:00000000000000001000',
  fromTime: 1_700_000_000_000,
  toPos: '00000000000000000003:00000000000000002000',
  toTime: 1_700_000_100_000,
  prevFrom: null,
  prevTo: null,
  op: 'CreateTag',
  endedBy: 'DeleteItem',
  deleted: true,
};

describe('head and version items', () => {
  it('read back what they store: a live head, a tombstone, a version ended by a deletion and one not', () => {
    const live = { state: tag, fromPos: 'p2', fromTime: 2, prevFrom: 'p1', prevTo: 2, op: 'RenameTag' };
    assert.deepEqual(headFromItem(headItem('srv', 7, 'tag:urgent', live)), {
      mailboxId: 7,
      key: 'tag:urgent',
      ...live,
    });
    const tombstone = {
      state: null,
      fromPos: 'p3',
      fromTime: 3,
      prevFrom: 'p2',
      prevTo: 3,
      op: 'DeleteItem',
    };
    const stored = headItem('srv', 7, 'tag:urgent', tombstone);
    assert.equal('st' in stored, false, 'a tombstone stores no state');
    assert.deepEqual(headFromItem(stored), { mailboxId: 7, key: 'tag:urgent', ...tombstone });
    assert.deepEqual(versionFromItem(versionItem('srv', version)), version);
    const moved = { ...version, deleted: false, prevFrom: 'p0', prevTo: 1_699_999_999_000 };
    assert.deepEqual(versionFromItem(versionItem('srv', moved)), moved);
  });

  it('refuse a malformed item with an error that names its key and every problem', () => {
    const item = versionItem('srv', version);
    const { tp: _, ...withoutEnd } = item;
    const broken = { ...withoutEnd, ft: '1700000000000', st: { kind: 'spaceship' } };
    assert.throws(
      () => versionFromItem(broken),
      (error: unknown) => {
        assert.ok(error instanceof ValidationError);
        assert.match(error.message, new RegExp(`version item ${item.pk} ${item.sk}`));
        assert.match(error.message, /ft/);
        assert.match(error.message, /tp/);
        assert.match(error.message, /entity state/);
        return true;
      },
    );
    assert.throws(
      () => headFromItem({ pk: 'x', sk: 'H#1', k: 'm:1', m: 7, fp: 'p', ft: 1 }),
      /head item x H#1.*\n.*op/s,
    );
    assert.throws(
      () => versionFromItem({ ...item, st: undefined }),
      ValidationError,
      'a version always has a state',
    );
  });

  it("key closed versions by the instant they ended, and only a mailbox's own by the mailbox", () => {
    const item = versionItem('srv', version);
    assert.equal(item.sk, `V#001700000100000#tag:urgent#${version.fromPos}`);
    assert.equal(item.pk, 'MBX#srv#7');
    assert.equal('gsi1pk' in item, false, 'no index entry to pay for');
    const own = versionItem('srv', {
      ...version,
      key: MAILBOX_KEY,
      state: { kind: 'mailbox', accountId: 'a', renamedTo: null },
    });
    assert.equal(own.pk, 'SRV#srv');
    assert.equal(own.sk, `V#MBX#0000000007#${version.fromPos}`);
  });

  it("bound the versions that ended in a span exactly, and leave the old layout's keys out", () => {
    const key = (toTime: number) => versionItem('srv', { ...version, toTime }).sk as string;
    const inside = (sk: string, span: { from: string; to: string }) => sk >= span.from && sk <= span.to;
    const span = versionsEnded(1_000, 2_000);
    assert.deepEqual(
      [999, 1_000, 1_500, 2_000, 2_001].map((t) => inside(key(t), span)),
      [false, true, true, true, false],
    );
    const after = versionsEnded(1_001);
    assert.equal(inside(key(1_000), after), false);
    assert.equal(inside(key(1_001), after), true);
    assert.equal(inside(key(LATEST_END), after), true);
    for (const old of ['V#item:300#p1', 'V#tag:urgent#p1', 'V#MBX#0000000007#p1']) {
      assert.equal(inside(old, versionsEnded(0)), false, old);
      assert.ok(old >= LEGACY_VERSION_KEYS.from && old <= LEGACY_VERSION_KEYS.to, old);
    }
    assert.equal(inside(key(5), LEGACY_VERSION_KEYS), false);
  });
});
