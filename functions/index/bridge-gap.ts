import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { IndexBridge } from '#core/announcement.ts';
import { redoPosition } from '#core/index/redo-position.ts';
import { type BridgeFields, bridgeMark } from '#core/index/server-marks.ts';
import { indexKeys, keyPrefixes } from '#core/index-keys.ts';
import { dynamodb, isConditionFailed } from '#functions/clients/dynamodb.ts';
import { readCursor } from '#functions/index/index-cursor.ts';
import type { IndexTarget } from '#functions/index/index-segment.ts';
import { nextSegment } from '#functions/index/next-segment.ts';
import { liveMailboxIds } from '#functions/query/live-mailboxes.ts';
import { queryAll } from '#functions/query/query-all.ts';

export type BridgeResult =
  | { state: 'bridged'; from: string; to: string; mailboxes: number; droppedTransactions: number }
  | { state: 'refused'; reason: string };

/** A bridge as kept in the server's partition. */
/**
 * Lets indexing go on past a gap the operator has given up on: the cursor moves to the next catalogued
 * segment, transactions left open at the gap are dropped (their later records may be among the lost ones),
 * and a bridge record says which mailboxes are untrusted until a scan restates them. The index is approximate
 * for those mailboxes between the gap and their next scan: the lost redo is lost.
 */
export async function bridgeGap(target: IndexTarget, request: IndexBridge): Promise<BridgeResult> {
  const cursor = await readCursor(target.table, target.serverId);
  const at = `redo file ${request.seq} at ${request.offset}`;
  if (cursor?.state !== 'gap')
    return { state: 'refused', reason: `indexing of ${target.serverId} is not held at a gap` };
  if (cursor.seq !== request.seq || cursor.offset !== request.offset)
    return {
      state: 'refused',
      reason: `the gap is now at redo file ${cursor.seq} at ${cursor.offset}, not at ${at}: look again before bridging`,
    };
  const next = await nextSegment(target, cursor);
  if (!next)
    return { state: 'refused', reason: `no segment is catalogued after ${at}: nothing to go on with` };
  const live = [...(await liveMailboxIds(target.table, target.serverId))];
  const from = redoPosition(cursor.seq, cursor.offset);
  const to = redoPosition(next.seq, next.firstOffset);
  const bridge: BridgeFields = {
    from,
    to,
    reason: cursor.reason ?? 'gap',
    bridgedAt: new Date().toISOString(),
    requestedAt: request.requestedAt,
    ...(request.requestedBy !== undefined ? { requestedBy: request.requestedBy } : {}),
    droppedTransactions: cursor.pending.length,
    mailboxes: live.length,
    ...(live.length > 0 ? { unscanned: new Set(live) } : {}),
  };
  try {
    await dynamodb().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: target.table,
              Item: bridgeMark(target.serverId, cursor, bridge),
            },
          },
          { Update: cursorAcrossGap(target, cursor, next, true) },
        ],
      }),
    );
  } catch (error) {
    // The cursor moved meanwhile (a redelivered bridge, or the missing segment arrived): nothing to do.
    if (isConditionFailed(error) || (error as Error).name === 'TransactionCanceledException')
      return { state: 'refused', reason: `the cursor left ${at} meanwhile` };
    throw error;
  }
  return {
    state: 'bridged',
    from,
    to,
    mailboxes: live.length,
    droppedTransactions: cursor.pending.length,
  };
}

/** A scan restated a mailbox at `position`: bridges before it no longer wait for that mailbox. */
export async function noteRescan(target: IndexTarget, mailboxId: number, position: string): Promise<void> {
  const { items } = await queryAll({
    TableName: target.table,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :bridge)',
    FilterExpression: 'contains(#unscanned, :m)',
    ExpressionAttributeNames: { '#unscanned': 'unscanned' },
    ExpressionAttributeValues: {
      ':pk': indexKeys.server(target.serverId),
      ':bridge': keyPrefixes.bridge,
      ':m': String(mailboxId),
    },
    ConsistentRead: true,
  });
  for (const bridge of items) {
    if ((bridge.to as string) > position) continue;
    await dynamodb().send(
      new UpdateCommand({
        TableName: target.table,
        Key: { pk: bridge.pk, sk: bridge.sk },
        UpdateExpression: 'DELETE #unscanned :m',
        ExpressionAttributeNames: { '#unscanned': 'unscanned' },
        ExpressionAttributeValues: { ':m': new Set([String(mailboxId)]) },
      }),
    );
  }
}

/**
 * A gap an operator bridged before, met again (a reindex walks the stream from the start): the cursor crosses
 * it as the bridge did, to the same segment, dropping the transactions open there. True if it crossed.
 */
export async function crossRecordedBridge(
  target: IndexTarget,
  cursor: { seq: string; offset: string; state: string },
  next: { seq: string; firstOffset: string },
): Promise<boolean> {
  const bridge = await dynamodb().send(
    new GetCommand({
      TableName: target.table,
      Key: { pk: indexKeys.server(target.serverId), sk: indexKeys.bridge(cursor.seq, cursor.offset) },
      ConsistentRead: true,
    }),
  );
  if (bridge.Item?.to !== redoPosition(next.seq, next.firstOffset)) return false;
  await dynamodb().send(new UpdateCommand(cursorAcrossGap(target, cursor, next, false)));
  return true;
}

/**
 * The cursor moved from a gap to the next segment, transactions open at the gap dropped: only if the cursor
 * still stands where it was read (and, for a new bridge, is still held there as a gap).
 */
function cursorAcrossGap(
  target: IndexTarget,
  cursor: { seq: string; offset: string },
  next: { seq: string; firstOffset: string },
  heldAtGap: boolean,
) {
  return {
    TableName: target.table,
    Key: { pk: indexKeys.server(target.serverId), sk: indexKeys.cursor },
    UpdateExpression:
      'SET #seq = :nseq, #offset = :noffset, #pending = :none, #state = :ok REMOVE #reason, #since',
    ConditionExpression: `#seq = :seq AND #offset = :offset${heldAtGap ? ' AND #state = :gap' : ''}`,
    ExpressionAttributeNames: {
      '#seq': 'seq',
      '#offset': 'offset',
      '#pending': 'pending',
      '#state': 'state',
      '#reason': 'reason',
      '#since': 'since',
    },
    ExpressionAttributeValues: {
      ':nseq': next.seq,
      ':noffset': next.firstOffset,
      ':none': [],
      ':ok': 'ok',
      ':seq': cursor.seq,
      ':offset': cursor.offset,
      ...(heldAtGap ? { ':gap': 'gap' } : {}),
    },
  };
}
