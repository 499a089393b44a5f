import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { catalogEntryOfKind, catalogItem, type SegmentEntry } from '#core/index/catalog-entries.ts';
import { redoPosition } from '#core/index/redo-position.ts';
import { cleanCut, type SegmentSplit } from '#functions/retention/purgeable-segments.ts';

// Where a purge may cut a server's redo: after a segment with no transaction open at its end, and not between
// a shared delivery's body (StoreIncomingBlob) and a message linked to it later.

const segment = (seq: number, indexed: { pending?: number; linkedFrom?: string }): SegmentEntry => ({
  ...catalogEntryOfKind(
    'segment',
    catalogItem({
      type: 'redo-segment',
      serverId: 'srv-cut',
      seq: String(seq),
      firstOffset: '0',
      lastOffset: '1000',
      key: `servers/srv-cut/redo/${seq}/0-1000.${'a'.repeat(64)}`,
      sha256: 'a'.repeat(64),
      size: 1000,
      storedSize: 400,
      codec: 'zstd',
      shippedAt: '2026-11-20T10:00:00.000Z',
    }),
  ),
  state: 'indexed',
  indexed,
});
const split = (purgeable: SegmentEntry[], kept: SegmentEntry[]): SegmentSplit => ({ purgeable, kept });

describe('the clean cut of a purge', () => {
  it('is the newest purgeable segment end with no open transaction', () => {
    const cut = cleanCut(
      split(
        [segment(1, { pending: 0 }), segment(2, { pending: 0 }), segment(3, { pending: 1 })],
        [segment(4, { pending: 0 })],
      ),
    );
    assert.equal(cut?.seq, '2');
    assert.equal(
      cleanCut(split([segment(1, {})], [])),
      undefined,
      'a segment indexed before counts were kept',
    );
  });

  it('never falls between a body and a message a later segment links to it', () => {
    // Segment 4 links a message to a body stored in segment 2: cuts after 2 and 3 would split them.
    const cut = cleanCut(
      split(
        [segment(1, { pending: 0 }), segment(2, { pending: 0 }), segment(3, { pending: 0 })],
        [segment(4, { pending: 0, linkedFrom: redoPosition('2', '500') })],
      ),
    );
    assert.equal(cut?.seq, '1');
    // A body stored right at the start of the next file is after the cut.
    const after = cleanCut(
      split([segment(1, { pending: 0 })], [segment(2, { pending: 0, linkedFrom: redoPosition('2', '0') })]),
    );
    assert.equal(after?.seq, '1');
    const before = cleanCut(
      split([segment(1, { pending: 0 })], [segment(2, { pending: 0, linkedFrom: redoPosition('1', '10') })]),
    );
    assert.equal(before, undefined);
  });
});
