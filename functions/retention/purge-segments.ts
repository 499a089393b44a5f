import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { redoPosition } from '#core/index/redo-position.ts';
import { indexKeys } from '#core/index-keys.ts';
import type { PurgePlan } from '#core/retention/purge-request.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import { s3 } from '#functions/clients/s3.ts';
import { readCursor } from '#functions/index/index-cursor.ts';
import { queryAll } from '#functions/query/query-all.ts';
import type { PurgeTarget } from '#functions/retention/purge-mailbox.ts';

export interface SegmentPurgeReport {
  segmentsPurged: number;
  segmentBytesFreed: number;
  /** Servers whose redo is kept whole: a mailbox on them is kept whole, or the purge named accounts. */
  serversKept: number;
}

/**
 * Redo segments every retained version is already in the index from: on a server all of whose mailboxes the
 * purge covered, a segment goes when its last operation is older than the earliest cutoff there, it is
 * indexed, and no transaction still open at the cursor refers to it. Its catalog entry stays, marked purged,
 * so the stream keeps no hole (restore-point listings and the coherency check know it is gone on purpose).
 */
export async function purgeSegments(target: PurgeTarget, plan: PurgePlan): Promise<SegmentPurgeReport> {
  const report: SegmentPurgeReport = { segmentsPurged: 0, segmentBytesFreed: 0, serversKept: 0 };
  // The earliest cutoff of a server's mailboxes; undefined when one of them is kept whole.
  const servers = new Map<string, number | undefined>();
  for (const serverId of new Set(plan.entries.map((e) => e.serverId))) {
    const cutoffs = plan.entries.filter((e) => e.serverId === serverId).map((e) => e.cutoff);
    servers.set(
      serverId,
      cutoffs.some((c) => c === undefined) ? undefined : Math.min(...(cutoffs as number[])),
    );
  }
  for (const [serverId, cutoff] of servers) {
    if (cutoff === undefined || plan.accountsNamed) {
      report.serversKept++;
      continue;
    }
    const cursor = await readCursor(target.indexTable, serverId);
    if (!cursor) continue;
    // Nothing at or after the earliest record a pending transaction still needs, nor past the cursor.
    const floor = [
      redoPosition(cursor.seq, cursor.offset),
      ...cursor.pending.flatMap((t) => t.ops.map((o) => redoPosition(o.seq, o.offset))),
    ].sort()[0] as string;
    const { items } = await queryAll({
      TableName: target.indexTable,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :seg)',
      FilterExpression: '#state = :indexed',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':pk': indexKeys.server(serverId), ':seg': 'SEG#', ':indexed': 'indexed' },
      ConsistentRead: true,
    });
    for (const segment of items) {
      const last = Date.parse((segment.lastOpTime ?? segment.firstOpTime ?? '') as string);
      if (!(last < cutoff)) continue;
      if (redoPosition(segment.seq as string, segment.lastOffset as string) >= floor) continue;
      report.segmentsPurged++;
      report.segmentBytesFreed += Number(segment.storedSize ?? 0);
      if (plan.dryRun) continue;
      await s3().send(new DeleteObjectCommand({ Bucket: target.backupBucket, Key: segment.s3Key as string }));
      await dynamodb()
        .send(
          new UpdateCommand({
            TableName: target.indexTable,
            Key: { pk: segment.pk, sk: segment.sk },
            UpdateExpression: 'SET #state = :purged, purgedAt = :now, purgedBy = :op',
            ConditionExpression: '#state = :indexed',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: {
              ':purged': 'purged',
              ':indexed': 'indexed',
              ':now': new Date().toISOString(),
              ':op': plan.operationId,
            },
          }),
        )
        .catch((error: Error) => {
          // A repeated finalization finds it purged already.
          if (error.name !== 'ConditionalCheckFailedException') throw error;
        });
    }
  }
  return report;
}
