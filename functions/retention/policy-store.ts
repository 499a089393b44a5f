import { randomUUID } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { operationKeys } from '#core/index-keys.ts';
import {
  type LegalHold,
  legalHoldSchema,
  type RetentionAuditEntry,
  type RetentionPolicy,
  retentionAuditEntrySchema,
  retentionPolicySchema,
} from '#core/retention/retention-policy.ts';
import { parseOrThrow } from '#core/validation.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import type { OperationsTable } from '#functions/operations/operations-store.ts';
import { queryAll } from '#functions/query/query-all.ts';

/** The retention policy as set (all defaults, keep everything, until someone sets one). */
export async function readPolicy(table: OperationsTable): Promise<RetentionPolicy & { updatedAt?: string }> {
  const out = await dynamodb().send(
    new GetCommand({ TableName: table.operationsTable, Key: operationKeys.retention, ConsistentRead: true }),
  );
  const policy = retentionPolicySchema.parse(out.Item?.policy ?? {});
  const updatedAt = out.Item?.updatedAt;
  return typeof updatedAt === 'string' ? { ...policy, updatedAt } : policy;
}

export async function writePolicy(
  table: OperationsTable,
  policy: RetentionPolicy,
  by: string,
): Promise<void> {
  const at = new Date().toISOString();
  await dynamodb().send(
    new PutCommand({
      TableName: table.operationsTable,
      Item: { ...operationKeys.retention, policy, updatedAt: at, updatedBy: by },
    }),
  );
  await audit(table, { at, action: 'retention', by });
}

/** Records a change in the audit trail (written after the change: an entry means it happened). */
async function audit(table: OperationsTable, entry: RetentionAuditEntry): Promise<void> {
  await dynamodb().send(
    new PutCommand({
      TableName: table.operationsTable,
      Item: { ...operationKeys.audit(entry.at, randomUUID()), ...entry },
    }),
  );
}

/** The audit trail of holds and retention, oldest first. */
export async function listAudit(table: OperationsTable): Promise<RetentionAuditEntry[]> {
  const { items } = await queryAll({
    TableName: table.operationsTable,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': 'AUDIT' },
    ConsistentRead: true,
  });
  return items.map((item) => parseOrThrow(retentionAuditEntrySchema, item, `audit entry ${String(item.sk)}`));
}

export async function listHolds(table: OperationsTable): Promise<LegalHold[]> {
  const { items } = await queryAll({
    TableName: table.operationsTable,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :hold)',
    ExpressionAttributeValues: { ':pk': operationKeys.retention.pk, ':hold': 'HOLD#' },
    ConsistentRead: true,
  });
  return items.map((item) => parseOrThrow(legalHoldSchema, item, `legal hold ${String(item.sk)}`));
}

/** Puts an account on hold (again: the reason is updated, the start kept). */
export async function placeHold(
  table: OperationsTable,
  accountId: string,
  reason: string,
  by: string,
): Promise<LegalHold> {
  const existing = (await listHolds(table)).find((h) => h.accountId === accountId);
  const at = new Date().toISOString();
  const hold: LegalHold = { accountId, reason, since: existing?.since ?? at, placedBy: by };
  await dynamodb().send(
    new PutCommand({ TableName: table.operationsTable, Item: { ...operationKeys.hold(accountId), ...hold } }),
  );
  await audit(table, { at, action: 'hold', by, accountId, reason });
  return hold;
}

/** Ends a hold; false if the account was not on hold. */
export async function releaseHold(table: OperationsTable, accountId: string, by: string): Promise<boolean> {
  const out = await dynamodb().send(
    new DeleteCommand({
      TableName: table.operationsTable,
      Key: operationKeys.hold(accountId),
      ReturnValues: 'ALL_OLD',
    }),
  );
  if (out.Attributes === undefined) return false;
  await audit(table, { at: new Date().toISOString(), action: 'release', by, accountId });
  return true;
}
