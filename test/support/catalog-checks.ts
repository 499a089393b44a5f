import assert from 'node:assert/strict';
import { QueryCommand, type QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { LocalCloud } from '#local/local-cloud.ts';
import { eventually } from '#test/integration/harness.ts';

/** Waits until the index holds exactly `objects` items of `serverId`, then checks nothing was dead-lettered. */
export async function checkCatalog(cloud: LocalCloud, serverId: string, objects: number): Promise<void> {
  const table = [...cloud.resources.tables.values()].find((t) => t.startsWith('IndexTable')) as string;
  let lastCount = 0;
  await eventually(
    async () => {
      lastCount = await countCatalogued(cloud, table, serverId);
      return lastCount === objects ? true : undefined;
    },
    60_000,
    `the indexer to record ${objects} objects of ${serverId}`,
  ).catch((error: Error) => {
    throw new Error(`${error.message} (${lastCount} recorded)`);
  });
  const dlq = [...cloud.resources.queues.values()].find((q) =>
    q.logicalId.startsWith('IngestDeadLetterQueue'),
  );
  assert.ok(dlq, 'the stack has an ingest dead-letter queue');
  const attributes = await cloud.clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlq.url, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  assert.equal(attributes.Attributes?.ApproximateNumberOfMessages, '0', 'nothing dead-lettered');
}

/** Catalogued objects of a server: segments, seals and LDAP dumps (its partition also holds index state). */
async function countCatalogued(cloud: LocalCloud, table: string, serverId: string): Promise<number> {
  let count = 0;
  for (const prefix of ['SEG#', 'FILE#', 'LDAP#']) {
    let start: QueryCommandOutput['LastEvaluatedKey'];
    do {
      const page = await cloud.clients.dynamodb.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': { S: `SRV#${serverId}` }, ':prefix': { S: prefix } },
          Select: 'COUNT',
          ExclusiveStartKey: start,
        }),
      );
      count += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);
  }
  return count;
}
