import { createHash } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { ControlClient } from '#agent/control-client.ts';
import type { SegmentAnnouncement } from '#core/announcement.ts';
import { indexKeys } from '#core/index-keys.ts';
import type { Operation } from '#core/operation.ts';
import { LOCAL_REGION, type LocalCloud } from '#local/local-cloud.ts';

export interface DemoResult {
  readonly segment: Record<string, unknown>;
  readonly operation: Operation;
}

/**
 * The demo path at this stage: a shipped segment is announced on the ingest queue, the indexer (the deployed
 * bundle, behind its real event source) records it in DynamoDB; then a selftest operation fans out through
 * control API → plan queue → planner → work queue → workers and finishes.
 */
export async function runDemo(
  cloud: LocalCloud,
  log: (line: string) => void = () => undefined,
): Promise<DemoResult> {
  const bucket = required(cloud.outputs.BackupBucketName, 'BackupBucketName');
  const queueUrl = required(cloud.outputs.IngestQueueUrl, 'IngestQueueUrl');
  const indexTable = required(
    [...cloud.resources.tables.values()].find((t) => t.startsWith('IndexTable')),
    'index table',
  );

  const body = Buffer.from('ZMREDO demo segment: redo records arrive with the redo log reader\n');
  const sha256 = createHash('sha256').update(body).digest('hex');
  const announcement: SegmentAnnouncement = {
    type: 'redo-segment',
    serverId: 'demo-server',
    seq: '1',
    firstOffset: '512',
    lastOffset: String(512 + body.length),
    key: `servers/demo-server/redo/1/512-${512 + body.length}.${sha256}`,
    sha256,
    size: body.length,
    storedSize: body.length,
    codec: 'none',
    shippedAt: new Date().toISOString(),
  };
  await cloud.clients.s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: announcement.key,
      Body: body,
      Metadata: { sha256, codec: 'none' },
    }),
  );
  log(`uploaded s3://${bucket}/${announcement.key}`);
  await cloud.clients.sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify(announcement),
      MessageGroupId: announcement.serverId,
      MessageDeduplicationId: `${announcement.serverId}-${announcement.seq}-${announcement.firstOffset}`,
    }),
  );
  log('announced it on the ingest queue; waiting for the indexer');
  const documents = DynamoDBDocumentClient.from(cloud.clients.dynamodb);
  const key = {
    pk: indexKeys.server(announcement.serverId),
    sk: indexKeys.segment(announcement.seq, announcement.firstOffset),
  };
  const segment = await poll(
    async () => (await documents.send(new GetCommand({ TableName: indexTable, Key: key }))).Item,
    30_000,
    'the indexer to record the segment',
  );
  log(`indexed: ${indexTable} ${key.pk} ${key.sk} state=${String(segment.state)}`);

  const control = new ControlClient({
    url: required(cloud.outputs.ControlUrl, 'ControlUrl'),
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const created = await control.request<Operation>('POST', '/operations', {
    kind: 'selftest',
    params: { items: 5 },
  });
  log(`selftest operation ${created.id} queued; waiting for its 5 work items`);
  const operation = await poll(
    async () => {
      const op = await control.request<Operation>('GET', `/operations/${created.id}`);
      return op.state === 'succeeded' || op.state === 'failed' ? op : undefined;
    },
    60_000,
    'the selftest operation to finish',
  );
  log(`selftest ${operation.state}: ${operation.done}/${operation.total} work items done`);
  return { segment, operation };
}

async function poll<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(
    `timed out after ${timeoutMs / 1000}s waiting for ${what}; see the function logs under .local/logs`,
  );
}

function required(value: string | undefined, what: string): string {
  if (!value) throw new Error(`the local stack has no ${what}`);
  return value;
}
