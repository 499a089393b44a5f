import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '#core/errors.ts';
import { headFromItem, headItem, versionFromItem, versionItem } from '#core/index/entity-items.ts';
import type { EntityVersion } from '#core/index/version-overlay.ts';

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
  op: 'CreateTag',
  endedBy: 'DeleteItem',
  deleted: true,
};

describe('head and version items', () => {
  it('read back what they store: a live head, a tombstone, a version ended by a deletion and one not', () => {
    const live = { state: tag, fromPos: 'p2', fromTime: 2, prevFrom: 'p1', op: 'RenameTag' };
    assert.deepEqual(headFromItem(headItem('srv', 7, 'tag:urgent', live)), {
      mailboxId: 7,
      key: 'tag:urgent',
      ...live,
    });
    const tombstone = { state: null, fromPos: 'p3', fromTime: 3, prevFrom: 'p2', op: 'DeleteItem' };
    const stored = headItem('srv', 7, 'tag:urgent', tombstone);
    assert.equal('st' in stored, false, 'a tombstone stores no state');
    assert.deepEqual(headFromItem(stored), { mailboxId: 7, key: 'tag:urgent', ...tombstone });
    assert.deepEqual(versionFromItem(versionItem('srv', version)), version);
    const moved = { ...version, deleted: false, prevFrom: 'p0' };
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
});
