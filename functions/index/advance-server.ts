import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SegmentEntry } from '#core/index/catalog-entries.ts';
import { redoPosition } from '#core/index/redo-position.ts';
import { quarantineMark } from '#core/index/server-marks.ts';
import { indexKeys } from '#core/index-keys.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import { applyPendingScans, type ScanResult } from '#functions/index/apply-scans.ts';
import { crossRecordedBridge } from '#functions/index/bridge-gap.ts';
import { SegmentCorruptError } from '#functions/index/errors.ts';
import { type IndexCursor, readCursor } from '#functions/index/index-cursor.ts';
import { type IndexTarget, indexSegment, type SegmentResult } from '#functions/index/index-segment.ts';
import { nextSegment } from '#functions/index/next-segment.ts';
import { type DeletedHead, unfinishedDeletions } from '#functions/index/persist-overlay.ts';

export type AdvanceOutcome =
  /** Every catalogued segment is indexed. */
  (
    | { state: 'caught-up' }
    /** Out of time with segments left: the caller asks for another round. */
    | { state: 'more' }
    /** The next segment is not in the catalog yet, though later ones are: waiting for it. */
    | { state: 'gap'; reason: string }
    | { state: 'quarantined'; reason: string }
  ) & { indexed: SegmentResult[]; scans: ScanResult[] };

/**
 * Indexes a server's catalogued segments in redo order, from its cursor on, until none follows or time
 * runs out. The catalog, not the delivery order, decides what is next: a segment that arrives early waits
 * for the one before it, and a redelivered one finds itself already behind the cursor.
 */
export async function advanceServer(target: IndexTarget, deadline: number): Promise<AdvanceOutcome> {
  const indexed: SegmentResult[] = [];
  const scans: ScanResult[] = [];
  const first = await readCursor(target.table, target.serverId);
  // A run a crash cut short before its commit deleted heads: what it deleted is found by what it listed.
  let deleted: DeletedHead[] = await unfinishedDeletions(
    target.table,
    target.serverId,
    first ? redoPosition(first.seq, first.offset) : undefined,
  );
  for (;;) {
    const cursor = await readCursor(target.table, target.serverId);
    if (cursor?.state === 'quarantined')
      return { state: 'quarantined', indexed, scans, reason: cursor.reason ?? '' };
    const next = await nextSegment(target, cursor);
    if (!next) {
      // The agent announces a scan after the redo before its cut: with nothing left to index, it is due.
      scans.push(...(await applyPendingScans(target, cursor, undefined, deleted)));
      return { state: 'caught-up', indexed, scans };
    }
    if (next.state === 'purged') {
      // Only a reindex meets one: indexing had passed it when retention removed it from the bucket.
      const reason = `redo file ${next.seq} from ${next.firstOffset} was purged by retention (${next.s3Key})`;
      if (cursor) await setCursorState(target, cursor, 'gap', reason);
      return { state: 'gap', indexed, scans, reason };
    }
    if (!cursor && next.firstOffset !== '0') {
      // A server's stream is indexed from the start of a redo file; its first segment has not arrived yet.
      return {
        state: 'gap',
        indexed,
        scans,
        reason: `the first segment catalogued starts at ${next.firstOffset} of redo file ${next.seq}, not at its start`,
      };
    }
    const hole = cursor ? await holeBefore(target, cursor, next) : undefined;
    // A gap bridged before (a reindex meets it again): crossed as the operator decided then.
    if (hole && (await crossRecordedBridge(target, cursor as IndexCursor, next))) continue;
    if (hole) {
      await setCursorState(target, cursor as IndexCursor, 'gap', hole);
      return { state: 'gap', indexed, scans, reason: hole };
    }
    // At least one segment per call, however late it starts: every invocation makes progress.
    if (indexed.length > 0 && Date.now() > deadline) return { state: 'more', indexed, scans };
    // Scans cut at or before this segment's start come first: the redo after them applies on top.
    scans.push(
      ...(await applyPendingScans(target, cursor, redoPosition(next.seq, next.firstOffset), deleted)),
    );
    try {
      indexed.push(await indexSegment(target, next, cursor, deleted));
      deleted = []; // the run that listed them is the one just committed
    } catch (error) {
      if (!(error instanceof SegmentCorruptError)) throw error;
      await quarantine(target, cursor, next, error.message);
      return { state: 'quarantined', indexed, scans, reason: error.message };
    }
  }
}

/** Why `next` cannot be applied after the cursor yet, or undefined if it follows it. */
async function holeBefore(
  target: IndexTarget,
  cursor: IndexCursor,
  next: SegmentEntry,
): Promise<string | undefined> {
  const at = `redo file ${cursor.seq} at ${cursor.offset}`;
  if (next.seq === cursor.seq) {
    return next.firstOffset === cursor.offset
      ? undefined
      : `the segment after ${at} is missing (the next one catalogued starts at ${next.firstOffset})`;
  }
  const seal = await dynamodb().send(
    new GetCommand({
      TableName: target.table,
      Key: { pk: indexKeys.server(target.serverId), sk: indexKeys.seal(cursor.seq) },
      ConsistentRead: true,
    }),
  );
  const size = seal.Item?.size as string | undefined;
  if (size === undefined)
    return `redo file ${cursor.seq} is indexed up to ${cursor.offset} but not sealed, and file ${next.seq} has begun`;
  if (size !== cursor.offset)
    return `redo file ${cursor.seq} is ${size} bytes but its segments end at ${cursor.offset}`;
  if (BigInt(next.seq) !== BigInt(cursor.seq) + 1n)
    return `redo files ${BigInt(cursor.seq) + 1n} to ${BigInt(next.seq) - 1n} are missing`;
  if (next.firstOffset !== '0')
    return `redo file ${next.seq} is catalogued from ${next.firstOffset}, not from its start`;
  return undefined;
}

async function setCursorState(
  target: IndexTarget,
  cursor: IndexCursor,
  state: 'gap',
  reason: string,
): Promise<void> {
  if (cursor.state === state && cursor.reason === reason) return;
  await dynamodb().send(
    new UpdateCommand({
      TableName: target.table,
      Key: { pk: indexKeys.server(target.serverId), sk: indexKeys.cursor },
      UpdateExpression: 'SET #state = :state, #reason = :reason, #since = :since',
      ConditionExpression: '#seq = :seq AND #offset = :offset',
      ExpressionAttributeNames: {
        '#state': 'state',
        '#seq': 'seq',
        '#offset': 'offset',
        '#reason': 'reason',
        '#since': 'since',
      },
      ExpressionAttributeValues: {
        ':state': state,
        ':reason': reason,
        ':since': new Date().toISOString(),
        ':seq': cursor.seq,
        ':offset': cursor.offset,
      },
    }),
  );
}

/**
 * Holds the server's indexing at a segment that cannot be applied: the reason is kept with the segment and
 * in a quarantine record, and later segments wait. Nothing after it builds on a hole.
 */
async function quarantine(
  target: IndexTarget,
  cursor: IndexCursor | undefined,
  segment: SegmentEntry,
  reason: string,
): Promise<void> {
  const since = new Date().toISOString();
  await dynamodb().send(
    new PutCommand({
      TableName: target.table,
      Item: quarantineMark(target.serverId, segment, reason, since),
    }),
  );
  await dynamodb().send(
    new UpdateCommand({
      TableName: target.table,
      Key: { pk: segment.pk, sk: segment.sk },
      UpdateExpression: 'SET #state = :q, #reason = :reason',
      ExpressionAttributeNames: { '#state': 'state', '#reason': 'reason' },
      ExpressionAttributeValues: { ':q': 'quarantined', ':reason': reason },
    }),
  );
  const message = `segment ${segment.s3Key} is quarantined: ${reason}. Later segments of this server wait; re-ship the segment or release it`;
  await dynamodb().send(
    new UpdateCommand({
      TableName: target.table,
      Key: { pk: indexKeys.server(target.serverId), sk: indexKeys.cursor },
      UpdateExpression: cursor
        ? 'SET #state = :q, #reason = :reason, #since = :since'
        : 'SET #state = :q, #reason = :reason, #since = :since, #seq = :seq, #offset = :offset, #pending = :none, #segments = :zero',
      ExpressionAttributeNames: {
        '#state': 'state',
        '#reason': 'reason',
        '#since': 'since',
        ...(cursor
          ? {}
          : { '#seq': 'seq', '#offset': 'offset', '#pending': 'pending', '#segments': 'segments' }),
      },
      ExpressionAttributeValues: {
        ':q': 'quarantined',
        ':reason': message,
        ':since': since,
        ...(cursor ? {} : { ':seq': segment.seq, ':offset': segment.firstOffset, ':none': [], ':zero': 0 }),
      },
    }),
  );
}
