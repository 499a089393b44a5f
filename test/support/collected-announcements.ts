import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { parseAgentConfig } from '#agent/config/agent-config.ts';
import { memoryLog } from '#agent/observability.ts';
import { Shipper } from '#agent/ship/shipper.ts';
import { type IngestMessage, ingestMessageSchema } from '#core/announcement.ts';
import type { FunctionConfig } from '#functions/config.ts';
import { LOCAL_SENDER_IDS, type LocalCloud } from '#local/local-cloud.ts';
import { indexTable, operationsTable } from '#test/support/index-checks.ts';

/**
 * The indexer's configuration on the local cloud, with a FIFO queue of the caller's own as ingest queue:
 * the agent announces there, and the caller feeds the announcements to the indexer's code itself.
 */
export async function privateIndexerConfig(
  cloud: LocalCloud,
  queueName: string,
): Promise<FunctionConfig<'indexer'>> {
  const queue = await cloud.clients.sqs.send(
    new CreateQueueCommand({
      QueueName: `${queueName}.fifo`,
      Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'false' },
    }),
  );
  return {
    indexTable: indexTable(cloud),
    backupBucket: cloud.outputs.BackupBucketName as string,
    ingestQueueUrl: queue.QueueUrl as string,
    ingestDeadLetterQueueUrl: queue.QueueUrl as string,
    ingestInternalSenders: [LOCAL_SENDER_IDS[cloud.backend]],
    agentRoleIds: {},
    operationsTable: operationsTable(cloud),
    operationRetentionDays: 30,
    operationsTopicArn: cloud.outputs.OperationsTopicArn as string,
  };
}

/** Ships a host's redo log once with the agent, then takes every announcement off the queue, in order. */
export async function shipAndCollect(
  cloud: LocalCloud,
  config: FunctionConfig<'indexer'>,
  agent: { serverId: string; hostDir: string; stateDir: string; segmentMiB?: number },
): Promise<IngestMessage[]> {
  const shipper = await Shipper.open({
    config: parseAgentConfig({
      serverId: agent.serverId,
      zimbraHome: agent.hostDir,
      stateDir: agent.stateDir,
      aws: { region: 'us-east-1', bucket: config.backupBucket, ingestQueueUrl: config.ingestQueueUrl },
      ...(agent.segmentMiB !== undefined ? { segment: { maxMiB: agent.segmentMiB } } : {}),
    }),
    s3: cloud.clients.s3,
    sqs: cloud.clients.sqs,
    log: memoryLog(),
  });
  await shipper.shipOnce();
  const out: IngestMessage[] = [];
  for (;;) {
    const got = await cloud.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: config.ingestQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
      }),
    );
    if (!got.Messages?.length) return out;
    for (const m of got.Messages) {
      out.push(ingestMessageSchema.parse(JSON.parse(m.Body as string)));
      await cloud.clients.sqs.send(
        new DeleteMessageCommand({ QueueUrl: config.ingestQueueUrl, ReceiptHandle: m.ReceiptHandle }),
      );
    }
  }
}
