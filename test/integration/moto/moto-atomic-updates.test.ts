// moto as the local cloud starts it applies each DynamoDB request atomically, as DynamoDB does: concurrent
// counter updates all count. Plain moto loses some (its threads update items without a lock), which left
// fan-out operations waiting for a share they had counted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RunningEmulator } from '#local/emulators/child-emulator.ts';
import { startMoto } from '#local/emulators/moto.ts';
import { freePort } from '#local/emulators/ports.ts';

describe('moto as started locally', () => {
  let moto: RunningEmulator;
  let db: DynamoDBDocumentClient;

  before(async () => {
    moto = await startMoto(await freePort());
    const client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: moto.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    await client.send(
      new CreateTableCommand({
        TableName: 'counters',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      }),
    );
    db = DynamoDBDocumentClient.from(client);
  });
  after(async () => {
    await moto?.stop();
  });

  it('counts every one of many concurrent updates of one item', async () => {
    // Plain moto loses one in a few hundred here, in about half the rounds: six make a loss near certain.
    for (const round of [1, 2, 3, 4, 5, 6]) await concurrentUpdates(`op-${round}`, 400);
  });

  async function concurrentUpdates(pk: string, updates: number): Promise<void> {
    await db.send(new PutCommand({ TableName: 'counters', Item: { pk, done: 0, progress: {} } }));
    await Promise.all(
      Array.from({ length: updates }, (_, i) =>
        db.send(
          new UpdateCommand({
            TableName: 'counters',
            Key: { pk },
            // As an operation's share is counted: its index into a set, counters into a map, a time.
            UpdateExpression:
              'ADD done :one, seen :item, progress.a :one, progress.b :one, progress.c :one SET updatedAt = :now',
            ConditionExpression: 'attribute_exists(pk) AND NOT contains(seen, :index)',
            ExpressionAttributeValues: {
              ':one': 1,
              ':item': new Set([String(i)]),
              ':index': String(i),
              ':now': new Date().toISOString(),
            },
          }),
        ),
      ),
    );
    const { Item } = await db.send(new GetCommand({ TableName: 'counters', Key: { pk } }));
    assert.equal(Item?.done, updates, `${pk}: every increment counted`);
    assert.equal((Item?.seen as Set<string> | undefined)?.size, updates, 'every item recorded');
    assert.deepEqual(Item?.progress, { a: updates, b: updates, c: updates }, 'every counter added to');
  }
});
