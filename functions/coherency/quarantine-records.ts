import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { QuarantineRecord } from '#core/coherency/coherency-request.ts';
import { indexKeys } from '#core/index-keys.ts';
import { parseOrThrow } from '#core/validation.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import { queryAll } from '#functions/query/query-all.ts';

/** Records that `record.key` was moved to quarantine (a later move of the same key replaces it). */
export async function recordQuarantine(table: string, record: QuarantineRecord): Promise<void> {
  await dynamodb().send(
    new PutCommand({ TableName: table, Item: { pk: indexKeys.quarantined, sk: record.key, ...record } }),
  );
}

/** Whether (and where, and why) an object was moved to quarantine. */
async function quarantineOf(table: string, key: string): Promise<QuarantineRecord | undefined> {
  const got = await dynamodb().send(
    new GetCommand({ TableName: table, Key: { pk: indexKeys.quarantined, sk: key } }),
  );
  return got.Item ? toRecord(got.Item) : undefined;
}

/** Every object in quarantine, by original key. */
export async function listQuarantine(table: string): Promise<QuarantineRecord[]> {
  const { items } = await queryAll({
    TableName: table,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': indexKeys.quarantined },
  });
  return items.map(toRecord);
}

/** What to add to "… is missing": where a check moved the object and why, or nothing if none did. */
export async function quarantineNote(table: string, key: string): Promise<string> {
  const moved = await quarantineOf(table, key);
  return moved ? `: ${describeQuarantine(moved)}` : '';
}

/** A line for people: where it went, when, by which check and why. */
function describeQuarantine(record: QuarantineRecord): string {
  return `moved to ${record.quarantinedAs} by coherency check ${record.operationId} at ${record.at} (${record.problem}: ${record.detail})`;
}

const quarantineSchema = z.object({
  key: z.string(),
  quarantinedAs: z.string(),
  operationId: z.string(),
  problem: z.enum(['missing', 'corrupt', 'size-mismatch', 'orphan']),
  detail: z.string(),
  at: z.string(),
});

/** A quarantine item as read, checked (its key is not part of the record). */
function toRecord(item: Record<string, unknown>): QuarantineRecord {
  return parseOrThrow(quarantineSchema, item, `quarantine item ${String(item.sk)}`);
}
