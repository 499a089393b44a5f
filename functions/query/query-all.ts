import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { dynamodb } from '#functions/clients/dynamodb.ts';

export type Item = Record<string, unknown>;

/** Every page of a query. Reads cost capacity in proportion to what they return: callers narrow the key range. */
export async function queryAll(input: QueryCommandInput): Promise<{ items: Item[]; readUnits: number }> {
  const items: Item[] = [];
  let readUnits = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamodb().send(
      new QueryCommand({ ...input, ExclusiveStartKey: start, ReturnConsumedCapacity: 'TOTAL' }),
    );
    items.push(...(page.Items ?? []));
    readUnits += page.ConsumedCapacity?.CapacityUnits ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return { items, readUnits };
}
