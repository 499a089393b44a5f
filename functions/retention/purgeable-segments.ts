import { type SegmentEntry, segmentEnd } from '#core/index/catalog-entries.ts';
import { redoPosition } from '#core/index/redo-position.ts';
import { listCatalog } from '#functions/catalog/catalog-store.ts';
import { readCursor } from '#functions/index/index-cursor.ts';

/** A server's catalogued redo segments, split by what a purge with `cutoff` may remove. */
export interface SegmentSplit {
  /** Indexed, last operation before the cutoff, before every position indexing still needs: oldest first. */
  purgeable: SegmentEntry[];
  /** Every other segment not purged yet, oldest first. */
  kept: SegmentEntry[];
}

/**
 * Which redo segments of a server a purge with `cutoff` (ms) may remove: indexed ones whose last operation is
 * older than the cutoff, ending before the cursor and before the first record a transaction still open at
 * the cursor refers to.
 */
export async function splitSegments(table: string, serverId: string, cutoff: number): Promise<SegmentSplit> {
  const cursor = await readCursor(table, serverId);
  const floor = cursor
    ? ([
        redoPosition(cursor.seq, cursor.offset),
        ...cursor.pending.flatMap((t) => t.ops.map((o) => redoPosition(o.seq, o.offset))),
      ].sort()[0] as string)
    : '';
  const items = await listCatalog(table, serverId, 'segment', { consistent: true });
  const split: SegmentSplit = { purgeable: [], kept: [] };
  for (const segment of items.sort((a, b) => segmentEnd(a).localeCompare(segmentEnd(b)))) {
    if (segment.state === 'purged') continue;
    const last = Date.parse(segment.lastOpTime ?? segment.firstOpTime ?? '');
    const purgeable = segment.state === 'indexed' && last < cutoff && segmentEnd(segment) < floor;
    (purgeable ? split.purgeable : split.kept).push(segment);
  }
  // Only a run from the oldest: a segment kept in between keeps every later one (the base must follow redo).
  const firstKept = split.kept[0];
  if (firstKept) {
    const bound = segmentEnd(firstKept);
    split.kept.push(...split.purgeable.filter((s) => segmentEnd(s) > bound));
    split.purgeable = split.purgeable.filter((s) => segmentEnd(s) < bound);
    split.kept.sort((a, b) => segmentEnd(a).localeCompare(segmentEnd(b)));
  }
  return split;
}

/**
 * The newest purgeable segment a server's redo may be cut after: no transaction open at its end, and no later
 * segment links a message to a body stored before its end (a shared delivery's StoreIncomingBlob and its
 * CreateMessage on either side of a cut would lose the message in a reindex from the cut).
 */
export function cleanCut(split: SegmentSplit): SegmentEntry | undefined {
  const all = [...split.purgeable, ...split.kept];
  // For each segment, the earliest body position any later segment links to.
  const linkedAfter: (string | undefined)[] = [];
  let earliest: string | undefined;
  for (let i = all.length - 1; i >= 0; i--) {
    linkedAfter[i] = earliest;
    const linked = all[i]?.indexed?.linkedFrom;
    if (linked !== undefined && (earliest === undefined || linked < earliest)) earliest = linked;
  }
  for (let i = split.purgeable.length - 1; i >= 0; i--) {
    const segment = split.purgeable[i] as SegmentEntry;
    // Segments indexed before open transactions were recorded per segment never qualify.
    if (segment.indexed?.pending !== 0) continue;
    const linked = linkedAfter[i];
    if (linked === undefined || linked >= segmentEnd(segment)) return segment;
  }
  return undefined;
}
