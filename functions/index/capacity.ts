import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';

/** DynamoDB capacity the index code consumed in this container: the benchmark's cost figures. */
class CapacityCounter {
  readUnits = 0;
  writeUnits = 0;

  addRead(consumed: ConsumedCapacity | ConsumedCapacity[] | undefined): void {
    this.readUnits += total(consumed);
  }

  addWrite(consumed: ConsumedCapacity | ConsumedCapacity[] | undefined): void {
    this.writeUnits += total(consumed);
  }

  reset(): void {
    this.readUnits = 0;
    this.writeUnits = 0;
  }
}

function total(consumed: ConsumedCapacity | ConsumedCapacity[] | undefined): number {
  if (!consumed) return 0;
  return (Array.isArray(consumed) ? consumed : [consumed]).reduce(
    (sum, c) => sum + (c.CapacityUnits ?? 0),
    0,
  );
}

export const capacity = new CapacityCounter();
