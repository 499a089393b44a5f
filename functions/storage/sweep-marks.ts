import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { indexKeys } from '#core/index-keys.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';

/**
 * Clocks of two Lambda functions agree within this: a sweep that finished this long before an indexer
 * started still counts as overlapping it.
 */
const SKEW_MS = 5 * 60_000;
/** A sweep's mark goes with DynamoDB's TTL after this (a crashed sweep never finishes: it counts until then). */
const MARK_DAYS = 2;

/**
 * Marks a sweep that may drop body locations, before it drops any; `finish` records its end. An indexer that
 * wrote references meanwhile looks at its bodies' locations again (`sweptSince`); one that sees no sweep
 * overlapping its segment need not.
 */
export async function markSweep(table: string, id: string): Promise<{ finish(): Promise<void> }> {
  const key = { pk: indexKeys.sweeps, sk: id };
  await dynamodb().send(
    new PutCommand({
      TableName: table,
      Item: {
        ...key,
        startedAt: new Date().toISOString(),
        expiresAt: Math.floor(Date.now() / 1000) + MARK_DAYS * 86_400,
      },
    }),
  );
  return {
    async finish() {
      await dynamodb().send(
        new UpdateCommand({
          TableName: table,
          Key: key,
          UpdateExpression: 'SET finishedAt = :now',
          ExpressionAttributeValues: { ':now': new Date().toISOString() },
        }),
      );
    },
  };
}

/**
 * Whether a sweep may have dropped a location since `since` (ms, this function's clock): one still running
 * (or crashed), or one that finished after it, give or take the clocks' skew.
 */
export async function sweptSince(table: string, since: number): Promise<boolean> {
  const out = await dynamodb().send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': indexKeys.sweeps },
      ConsistentRead: true,
    }),
  );
  return (out.Items ?? []).some((mark) => {
    const finished = typeof mark.finishedAt === 'string' ? Date.parse(mark.finishedAt) : undefined;
    return finished === undefined || finished >= since - SKEW_MS;
  });
}
