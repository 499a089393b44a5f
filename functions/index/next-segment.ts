import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { catalogEntryOfKind, type SegmentEntry } from '#core/index/catalog-entries.ts';
import { indexKeys, keyPrefixes } from '#core/index-keys.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import type { IndexCursor } from '#functions/index/index-cursor.ts';
import type { IndexTarget } from '#functions/index/index-segment.ts';

/** The first catalogued segment at or after the cursor. */
export async function nextSegment(
  target: IndexTarget,
  cursor: IndexCursor | undefined,
): Promise<SegmentEntry | undefined> {
  const out = await dynamodb().send(
    new QueryCommand({
      TableName: target.table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': indexKeys.server(target.serverId),
        ':from': cursor ? indexKeys.segment(cursor.seq, cursor.offset) : keyPrefixes.segment,
        ':to': 'SEG$', // '$' sorts right after '#': every SEG# key
      },
      Limit: 1,
      ConsistentRead: true,
    }),
  );
  const item = out.Items?.[0];
  return item && catalogEntryOfKind('segment', item);
}
