// DynamoDB capacity a benchmark's code consumed, every command counted (puts, updates, transactions and
// batches alike), read off the responses of the client the functions use.
import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface CapacityCount {
  readUnits: number;
  writeUnits: number;
  reset(): void;
}

const WRITES = /^(Put|Update|Delete|BatchWrite|TransactWrite)/;
const READS = /^(Get|Query|Scan|BatchGet|TransactGet)/;

/** Asks every read and write `client` sends for its consumed capacity, and adds it up. */
export function countCapacity(client: DynamoDBDocumentClient): CapacityCount {
  const count: CapacityCount = {
    readUnits: 0,
    writeUnits: 0,
    reset() {
      count.readUnits = 0;
      count.writeUnits = 0;
    },
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = (context as { commandName?: string }).commandName ?? '';
      const write = WRITES.test(command);
      if (!write && !READS.test(command)) return next(args);
      (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
      const out = await next(args);
      const consumed = (out.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] })
        .ConsumedCapacity;
      const units = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce(
        (sum, c) => sum + (c.CapacityUnits ?? 0),
        0,
      );
      if (write) count.writeUnits += units;
      else count.readUnits += units;
      return out;
    },
    { step: 'initialize', name: 'countConsumedCapacity' },
  );
  return count;
}
