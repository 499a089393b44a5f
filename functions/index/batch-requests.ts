import { BatchGetCommand, BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { inParallel } from '#core/in-parallel.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';

type Key = Record<string, string>;
type Item = Record<string, unknown>;
export type WriteRequest = { PutRequest: { Item: Item } } | { DeleteRequest: { Key: Key } };

const MAX_ATTEMPTS = 8;

/** Writes everything, 25 per BatchWriteItem and `concurrency` at a time, retrying unprocessed items. */
export async function writeAll(
  table: string,
  requests: readonly WriteRequest[],
  concurrency = 4,
): Promise<void> {
  await inBatches(requests, 25, concurrency, 'writes', async (pending) => {
    const out = await dynamodb().send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
    return (out.UnprocessedItems?.[table] ?? []) as WriteRequest[];
  });
}

/** Strongly consistent reads of many keys, 100 per BatchGetItem; items that do not exist are absent. */
export async function getAll(table: string, keys: readonly Key[], concurrency = 4): Promise<Item[]> {
  const found: Item[] = [];
  await inBatches(keys, 100, concurrency, 'reads', async (pending) => {
    const out = await dynamodb().send(
      new BatchGetCommand({
        RequestItems: { [table]: { Keys: pending, ConsistentRead: true } },
      }),
    );
    found.push(...(out.Responses?.[table] ?? []));
    return (out.UnprocessedKeys?.[table]?.Keys ?? []) as Key[];
  });
  return found;
}

/**
 * Sends `items` in batches of `size`, `concurrency` batches at a time; `send` returns what DynamoDB left
 * unprocessed, which is sent again with backoff until nothing is left or the attempts run out.
 */
async function inBatches<T>(
  items: readonly T[],
  size: number,
  concurrency: number,
  what: string,
  send: (batch: T[]) => Promise<T[]>,
): Promise<void> {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
  await inParallel(batches, concurrency, async (batch) => {
    let pending = batch;
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > MAX_ATTEMPTS)
        throw new Error(`DynamoDB left ${pending.length} ${what} unprocessed after ${MAX_ATTEMPTS} attempts`);
      if (attempt > 1) await backoff(attempt);
      pending = await send(pending);
    }
  });
}

function backoff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(2000, 25 * 2 ** attempt * Math.random())));
}
