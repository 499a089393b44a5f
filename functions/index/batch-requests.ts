import { BatchGetCommand, BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import { capacity } from '#functions/index/capacity.ts';

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
  const chunks: WriteRequest[][] = [];
  for (let i = 0; i < requests.length; i += 25) chunks.push(requests.slice(i, i + 25));
  await inParallel(chunks, concurrency, async (chunk) => {
    let pending: WriteRequest[] = chunk;
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > MAX_ATTEMPTS)
        throw new Error(`DynamoDB left ${pending.length} writes unprocessed after ${MAX_ATTEMPTS} attempts`);
      if (attempt > 1) await backoff(attempt);
      const out = await dynamodb().send(
        new BatchWriteCommand({ RequestItems: { [table]: pending }, ReturnConsumedCapacity: 'TOTAL' }),
      );
      capacity.addWrite(out.ConsumedCapacity);
      pending = (out.UnprocessedItems?.[table] ?? []) as WriteRequest[];
    }
  });
}

/** Strongly consistent reads of many keys, 100 per BatchGetItem; items that do not exist are absent. */
export async function getAll(table: string, keys: readonly Key[], concurrency = 4): Promise<Item[]> {
  const chunks: Key[][] = [];
  for (let i = 0; i < keys.length; i += 100) chunks.push(keys.slice(i, i + 100));
  const found: Item[] = [];
  await inParallel(chunks, concurrency, async (chunk) => {
    let pending: Key[] = chunk;
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > MAX_ATTEMPTS)
        throw new Error(`DynamoDB left ${pending.length} reads unprocessed after ${MAX_ATTEMPTS} attempts`);
      if (attempt > 1) await backoff(attempt);
      const out = await dynamodb().send(
        new BatchGetCommand({
          RequestItems: { [table]: { Keys: pending, ConsistentRead: true } },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      capacity.addRead(out.ConsumedCapacity);
      found.push(...(out.Responses?.[table] ?? []));
      pending = (out.UnprocessedKeys?.[table]?.Keys ?? []) as Key[];
    }
  });
  return found;
}

async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++] as T);
  });
  await Promise.all(workers);
}

function backoff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(2000, 25 * 2 ** attempt * Math.random())));
}
