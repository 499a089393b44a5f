import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { operationKeys } from '#core/index-keys.ts';
import {
  type LegalHold,
  type RetentionPolicy,
  retentionPolicySchema,
} from '#core/retention/retention-policy.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import type { OperationsTable } from '#functions/operations/operations-store.ts';
import { queryAll } from '#functions/query/query-all.ts';

/** The retention policy as set (all defaults, keep everything, until someone sets one). */
export async function readPolicy(table: OperationsTable): Promise<RetentionPolicy & { updatedAt?: string }> {
  const out = await dynamodb().send(
    new GetCommand({ TableName: table.operationsTable, Key: operationKeys.retention, ConsistentRead: true }),
  );
  const policy = retentionPolicySchema.parse(out.Item?.policy ?? {});
  return out.Item?.updatedAt ? { ...policy, updatedAt: out.Item.updatedAt as string } : policy;
}

export async function writePolicy(table: OperationsTable, policy: RetentionPolicy): Promise<void> {
  await dynamodb().send(
    new PutCommand({
      TableName: table.operationsTable,
      Item: { ...operationKeys.retention, policy, updatedAt: new Date().toISOString() },
    }),
  );
}

export async function listHolds(table: OperationsTable): Promise<LegalHold[]> {
  const { items } = await queryAll({
    TableName: table.operationsTable,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :hold)',
    ExpressionAttributeValues: { ':pk': operationKeys.retention.pk, ':hold': 'HOLD#' },
    ConsistentRead: true,
  });
  return items.map((i) => ({
    accountId: i.accountId as string,
    reason: i.reason as string,
    since: i.since as string,
  }));
}

/** Puts an account on hold (again: the reason is updated, the start kept). */
export async function placeHold(
  table: OperationsTable,
  accountId: string,
  reason: string,
): Promise<LegalHold> {
  const existing = (await listHolds(table)).find((h) => h.accountId === accountId);
  const hold: LegalHold = { accountId, reason, since: existing?.since ?? new Date().toISOString() };
  await dynamodb().send(
    new PutCommand({ TableName: table.operationsTable, Item: { ...operationKeys.hold(accountId), ...hold } }),
  );
  return hold;
}

/** Ends a hold; false if the account was not on hold. */
export async function releaseHold(table: OperationsTable, accountId: string): Promise<boolean> {
  const out = await dynamodb().send(
    new DeleteCommand({
      TableName: table.operationsTable,
      Key: operationKeys.hold(accountId),
      ReturnValues: 'ALL_OLD',
    }),
  );
  return out.Attributes !== undefined;
}
