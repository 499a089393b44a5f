import assert from 'node:assert/strict';
import { QueryCommand, type QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, type ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { LocalCloud } from '#local/local-cloud.ts';
import { eventually } from '#test/integration/harness.ts';

/**
 * Waits until the catalog of `serverId` (segments, seals, LDAP dumps) names exactly the objects S3 holds
 * under the server's `redo/` and `ldap/` prefixes, then checks nothing was dead-lettered. Call it once the
 * agent has stopped: both sides are then final, so the wait is for the indexer, never for a count that a
 * running agent's timers (a segment cut by age, a scheduled dump) may still move.
 */
export async function checkCatalog(cloud: LocalCloud, serverId: string): Promise<string[]> {
  const table = [...cloud.resources.tables.values()].find((t) => t.startsWith('IndexTable')) as string;
  const inS3 = (
    await Promise.all(['redo', 'ldap'].map((kind) => listKeys(cloud, `servers/${serverId}/${kind}/`)))
  )
    .flat()
    .sort();
  let catalogued: string[] = [];
  await eventually(
    async () => {
      catalogued = await cataloguedKeys(cloud, table, serverId);
      return catalogued.length >= inS3.length ? true : undefined;
    },
    60_000,
    `the indexer to record the ${inS3.length} objects of ${serverId} in S3`,
  ).catch((error: Error) => {
    throw new Error(`${error.message} (${catalogued.length} recorded)`);
  });
  assert.deepEqual(catalogued, inS3, 'the catalog names exactly the objects in S3');
  const dlq = [...cloud.resources.queues.values()].find((q) =>
    q.logicalId.startsWith('IngestDeadLetterQueue'),
  );
  assert.ok(dlq, 'the stack has an ingest dead-letter queue');
  const attributes = await cloud.clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlq.url, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  assert.equal(attributes.Attributes?.ApproximateNumberOfMessages, '0', 'nothing dead-lettered');
  return inS3;
}

async function listKeys(cloud: LocalCloud, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page: ListObjectsV2CommandOutput = await cloud.clients.s3.send(
      new ListObjectsV2Command({
        Bucket: cloud.outputs.BackupBucketName as string,
        Prefix: prefix,
        ContinuationToken: token,
      }),
    );
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

/** The S3 keys of a server's catalogued objects: segments, seals and LDAP dumps (its partition also holds index state). */
async function cataloguedKeys(cloud: LocalCloud, table: string, serverId: string): Promise<string[]> {
  const keys: string[] = [];
  for (const prefix of ['SEG#', 'FILE#', 'LDAP#']) {
    let start: QueryCommandOutput['LastEvaluatedKey'];
    do {
      const page = await cloud.clients.dynamodb.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': { S: `SRV#${serverId}` }, ':prefix': { S: prefix } },
          ProjectionExpression: 's3Key',
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) keys.push(item.s3Key?.S ?? `(no s3Key in ${prefix} item)`);
      start = page.LastEvaluatedKey;
    } while (start);
  }
  return keys.sort();
}
