// The local cloud a benchmark runs on, and the environment restic runs in against the local S3.
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type Backend, type LocalCloud, startLocalCloud } from '#local/local-cloud.ts';

/** The local cloud on any free ports, without schedules: what a benchmark measures against. */
export function startBenchCloud(
  backend: Backend,
  workDir: string,
  context?: Record<string, unknown>,
  tablesOnDynamodbLocal = false,
): Promise<LocalCloud> {
  return startLocalCloud({
    backend,
    tablesOnDynamodbLocal,
    workDir,
    ports: { sqsS3: 0, dynamodb: 0, moto: 0, functionUrl: 0 },
    schedules: false,
    ...(context ? { context } : {}),
  });
}

/** The local cloud's credentials, and a repository password: restic reads both from the environment. */
export const RESTIC_ENV = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_DEFAULT_REGION: 'us-east-1',
  RESTIC_PASSWORD: 'bench',
};

/**
 * An empty table with `table`'s keys and indexes, named `name`: a run that must pay for everything it writes
 * (a second run into the same index finds the bodies of the first already located and writes none).
 */
export async function emptyTableLike(client: DynamoDBClient, table: string, name: string): Promise<string> {
  const { Table: t } = await client.send(new DescribeTableCommand({ TableName: table }));
  if (!t?.KeySchema || !t.AttributeDefinitions) throw new Error(`table ${table} has no key schema`);
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: t.KeySchema,
      AttributeDefinitions: t.AttributeDefinitions,
      ...(t.GlobalSecondaryIndexes?.length
        ? {
            GlobalSecondaryIndexes: t.GlobalSecondaryIndexes.map((g) => ({
              IndexName: g.IndexName,
              KeySchema: g.KeySchema,
              Projection: g.Projection,
            })),
          }
        : {}),
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 60 }, { TableName: name });
  return name;
}

/** The items of `table` and their size as DynamoDB bills storage (names and values; ~100 bytes of overhead each). */
export async function tableSize(
  client: DynamoDBDocumentClient,
  table: string,
): Promise<{ items: number; bytes: number }> {
  let items = 0;
  let bytes = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      items++;
      bytes += 100 + valueSize(item);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return { items, bytes };
}

/** DynamoDB's size of a value: strings and binaries by their bytes, numbers ~1 byte per two digits. */
function valueSize(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number' || typeof value === 'bigint') return Math.ceil(String(value).length / 2) + 1;
  if (value === null || typeof value === 'boolean') return 1;
  if (value instanceof Uint8Array) return value.length;
  if (value instanceof Set) return [...value].reduce((n: number, v) => n + valueSize(v), 0);
  if (Array.isArray(value)) return 3 + value.reduce((n: number, v) => n + 1 + valueSize(v), 0);
  if (typeof value === 'object')
    return (
      3 +
      Object.entries(value as Record<string, unknown>).reduce(
        (n, [k, v]) => n + 1 + Buffer.byteLength(k) + valueSize(v),
        0,
      )
    );
  return 0;
}
