import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import { ValidationError } from '#core/errors.ts';
import {
  headFromItem,
  headItem,
  packedHeadItem,
  packedVersionItem,
  recordsOfHead,
  stateOfItem,
  versionFromItem,
  versionItem,
  versionsOfItem,
} from '#core/index/entity-items.ts';
import { MAILBOX_KEY } from '#core/index/index-entity.ts';
import { itemSize } from '#core/index/item-size.ts';
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

describe('riders', () => {
  const pos = (n: number) => `00000000000000000003:${String(n).padStart(20, '0')}`;
  const message = (folderId: number, flags: number) => ({
    kind: 'message' as const,
    folderId,
    flags,
    tags: [],
    digest: 'dGVzdA==',
    sha256: 'a'.repeat(64),
    size: 2048,
    receivedDate: 1_700_000_000_000,
    subject: 'Quarterly figures, second draft',
    from: 'Ann Example <ann@example.com>',
  });
  /** A message's life: delivered, then `changes` moves and flags, each its own version. */
  function life(changes: number) {
    const versions: EntityVersion[] = [];
    let from = { state: message(2, 0), pos: pos(1), time: 1000, op: 'CreateMessage' };
    let prev: { pos: string; time: number } | null = null;
    for (let i = 1; i <= changes; i++) {
      const next = { state: message(2 + (i % 3), i), pos: pos(1 + i), time: 1000 + i, op: `Op${i}` };
      versions.unshift({
        mailboxId: 7,
        key: 'item:300',
        state: from.state,
        fromPos: from.pos,
        fromTime: from.time,
        toPos: next.pos,
        toTime: next.time,
        prevFrom: prev?.pos ?? null,
        prevTo: prev?.time ?? null,
        op: from.op,
        endedBy: next.op,
        deleted: false,
      });
      prev = { pos: from.pos, time: next.time };
      from = next;
    }
    const head = {
      state: from.state,
      fromPos: from.pos,
      fromTime: from.time,
      prevFrom: versions[0]?.fromPos ?? null,
      prevTo: versions[0]?.toTime ?? null,
      op: from.op,
      riders: versions,
    };
    return { head, versions };
  }

  it('ride in their head as far as one write unit goes, and read back as the versions they were', () => {
    const { head, versions } = life(12);
    const { item, spilled } = packedHeadItem('srv', 7, 'item:300', head);
    const carried = (item.rv as unknown[]).length;
    assert.ok(carried >= 3, `several riders fit (${carried})`);
    assert.ok(itemSize(item) <= 1024, `one write unit (${itemSize(item)} bytes)`);
    assert.deepEqual(spilled, versions.slice(carried), 'the older ones are spilled, in order');
    const read = headFromItem(item);
    assert.deepEqual(read.riders, versions.slice(0, carried));
    assert.deepEqual(versionsOfItem(item), versions.slice(0, carried));
    // The last rider says where the chain goes on: to the first spilled version.
    assert.equal(read.riders?.at(-1)?.prevFrom, spilled[0]?.fromPos);
  });

  it('a head item reads as every version it holds: the head, then its riders', () => {
    const { head, versions } = life(3);
    const { item } = packedHeadItem('srv', 7, 'item:300', { ...head, riders: versions });
    const records = recordsOfHead(item);
    assert.deepEqual(records[0], headFromItem(item));
    assert.deepEqual(records.slice(1), versions);
  });

  it("ride in a deletion's closed version the same way", () => {
    const { head, versions } = life(3);
    const deletion: EntityVersion = {
      mailboxId: 7,
      key: 'item:300',
      state: head.state,
      fromPos: head.fromPos,
      fromTime: head.fromTime,
      toPos: pos(99),
      toTime: 5000,
      prevFrom: head.prevFrom,
      prevTo: head.prevTo,
      op: head.op,
      endedBy: 'DeleteItem',
      deleted: true,
    };
    const { item, spilled } = packedVersionItem('srv', deletion, versions);
    assert.deepEqual(spilled, []);
    assert.deepEqual(versionFromItem(item), deletion);
    assert.deepEqual(versionsOfItem(item), [deletion, ...versions]);
  });

  it('stop where the chain breaks, and never make an item cost more write units', () => {
    const { head, versions } = life(3);
    const broken = versions.map((v, i) => (i === 1 ? { ...v, toTime: v.toTime + 1 } : v));
    const packed = packedHeadItem('srv', 7, 'item:300', { ...head, riders: broken });
    assert.equal((packed.item.rv as unknown[]).length, 1);
    assert.deepEqual(packed.spilled, broken.slice(1));
    const big = { ...head, state: { ...head.state, subject: 'x'.repeat(1000) } };
    const alone = headItem('srv', 7, 'item:300', big);
    const withRiders = packedHeadItem('srv', 7, 'item:300', big).item;
    assert.equal(Math.ceil(itemSize(withRiders) / 1024), Math.ceil(itemSize(alone) / 1024));
    assert.deepEqual(
      packedHeadItem('srv', 7, 'item:300', { ...head, riders: [] }).item,
      headItem('srv', 7, 'item:300', head),
    );
  });
});

describe('states stored deflated', () => {
  // A calendar item with a few invites of Zimbra metadata: text that deflates to well under half.
  const invite = (n: number) =>
    `d1:a${n}:${'ATTENDEE;CN=Ann Example;PARTSTAT=NEEDS-ACTION:mailto:ann@example.com;'.repeat(3)}e`;
  const calendar = {
    kind: 'calendar' as const,
    type: 'appointment' as const,
    folderId: 10,
    flags: 0,
    tags: [],
    uid: 'c0ffee-0001@example.com',
    invites: [invite(1), invite(2), invite(3), invite(4), invite(5), invite(6)],
  };
  const head = {
    state: calendar,
    fromPos: '00000000000000000003:00000000000000001000',
    fromTime: 1_700_000_000_000,
    prevFrom: null,
    prevTo: null,
    op: 'CreateCalendarItem',
  };

  it('a state that would cost more than a write unit is deflated when that saves units, and reads back', () => {
    const item = headItem('srv', 7, 'item:400', head);
    assert.equal(item.st, undefined, 'not stored as it is');
    assert.ok(item.sz instanceof Uint8Array);
    assert.ok(itemSize({ ...item, sz: undefined, st: calendar }) > 1024, 'it would cost two units');
    assert.ok(itemSize(item) <= 1024, 'it costs one');
    assert.deepEqual(headFromItem(item).state, calendar);
    const v = { ...version, key: 'item:400', state: calendar, op: 'CreateCalendarItem' };
    assert.deepEqual(versionFromItem(versionItem('srv', v)), v);
    assert.deepEqual(stateOfItem(versionItem('srv', v)), calendar);
  });

  it('a small state stays as it is', () => {
    assert.deepEqual(headItem('srv', 7, 'tag:urgent', { ...head, state: tag }).st, tag);
  });

  it('a deflated state that does not read back is a ValidationError naming the item', () => {
    const item = { ...headItem('srv', 7, 'item:400', head), sz: new Uint8Array([1, 2, 3]) };
    assert.throws(() => headFromItem(item), ValidationError);
    assert.throws(() => headFromItem(item), /item:400/);
    const notAState = { ...item, sz: deflateRawSync(JSON.stringify({ kind: 'spaceship' })) };
    assert.throws(() => headFromItem(notAState), ValidationError);
  });
});
