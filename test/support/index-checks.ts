import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { setDynamodb } from '#functions/clients/dynamodb.ts';
import type { IndexCursor } from '#functions/index/index-cursor.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { eventually } from '#test/integration/harness.ts';
import { listShippedRedo } from '#test/support/shipped-redo.ts';

export function indexTable(cloud: LocalCloud): string {
  return [...cloud.resources.tables.values()].find((t) => t.startsWith('IndexTable')) as string;
}

export function operationsTable(cloud: LocalCloud): string {
  return [...cloud.resources.tables.values()].find((t) => t.startsWith('OperationsTable')) as string;
}

/** Points the functions' DynamoDB client (used by the query modules) at the local cloud. */
export function useLocalIndex(cloud: LocalCloud): DynamoDBDocumentClient {
  const client = DynamoDBDocumentClient.from(cloud.clients.dynamodb, {
    marshallOptions: { removeUndefinedValues: true },
  });
  setDynamodb(client);
  return client;
}

export async function readIndexCursor(cloud: LocalCloud, serverId: string): Promise<IndexCursor | undefined> {
  const out = await useLocalIndex(cloud).send(
    new GetCommand({
      TableName: indexTable(cloud),
      Key: { pk: `SRV#${serverId}`, sk: 'CURSOR' },
      ConsistentRead: true,
    }),
  );
  return out.Item as IndexCursor | undefined;
}

/** When the last LDAP dump indexed for the server was taken (ISO), if any was. */
export async function readDirectoryCursor(cloud: LocalCloud, serverId: string): Promise<string | undefined> {
  const out = await useLocalIndex(cloud).send(
    new GetCommand({
      TableName: indexTable(cloud),
      Key: { pk: `SRV#${serverId}`, sk: 'DIRCURSOR' },
      ConsistentRead: true,
    }),
  );
  return out.Item?.dumpedAt as string | undefined;
}

/** Waits until the indexer's cursor stands at the end of the server's last shipped segment; returns it. */
export async function waitForIndexed(
  cloud: LocalCloud,
  serverId: string,
  timeoutMs = 120_000,
): Promise<IndexCursor> {
  const shipped = await listShippedRedo(cloud.clients.s3, cloud.outputs.BackupBucketName as string, serverId);
  const end = shipped.filter((o) => o.kind === 'segment').at(-1);
  if (!end) throw new Error(`no segment of ${serverId} was shipped`);
  let last: IndexCursor | undefined;
  return eventually(
    async () => {
      last = await readIndexCursor(cloud, serverId);
      if (last?.state === 'quarantined') throw new Error(`indexing is quarantined: ${last.reason}`);
      // moto is not atomic: a read racing an update can see the item with its keys and nothing else yet.
      if (last?.seq === undefined || last.offset === undefined) return undefined;
      return BigInt(last.seq) === end.sequence && Number(last.offset) === end.last ? last : undefined;
    },
    timeoutMs,
    `the indexer to reach the end of ${end.key}`,
  ).catch((error: Error) => {
    throw new Error(`${error.message} (cursor ${JSON.stringify(last)})`);
  });
}

/** Deletes every item of a table: a lost index, as far as anything reading it can tell. */
export async function deleteEveryItem(client: DynamoDBDocumentClient, table: string): Promise<void> {
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: table, ExclusiveStartKey: start, ProjectionExpression: 'pk, sk' }),
    );
    const keys = page.Items ?? [];
    for (let i = 0; i < keys.length; i += 25)
      await client.send(
        new BatchWriteCommand({
          RequestItems: { [table]: keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } })) },
        }),
      );
    start = page.LastEvaluatedKey;
  } while (start);
}
