import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { IndexReset } from '#core/announcement.ts';
import { reindexParamsSchema } from '#core/index/reindex-request.ts';
import type { Operation } from '#core/operation.ts';
import { parseOrThrow } from '#core/validation.ts';
import { sqs } from '#functions/clients/sqs.ts';

/**
 * A reindex's shares: one `index-reset` per server, in that server's group of the ingest queue, so it runs
 * in order with the server's indexing (never beside it). The indexer reports each share. Returns how many.
 */
export async function planReindex(target: { ingestQueueUrl: string }, op: Operation): Promise<number> {
  const params = parseOrThrow(reindexParamsSchema, op.params, `parameters of reindex operation ${op.id}`);
  const messages: IndexReset[] = params.servers.map((serverId, index) => ({
    type: 'index-reset',
    serverId,
    operationId: op.id,
    index,
    total: params.servers.length,
    ...(params.fromSeq !== undefined ? { fromSeq: params.fromSeq } : {}),
    round: 0,
  }));
  for (let start = 0; start < messages.length; start += 10) {
    const batch = messages.slice(start, start + 10);
    const out = await sqs().send(
      new SendMessageBatchCommand({
        QueueUrl: target.ingestQueueUrl,
        Entries: batch.map((m) => ({
          Id: String(m.index),
          MessageBody: JSON.stringify(m),
          MessageGroupId: m.serverId,
          // A re-plan after a crash sends the same shares: SQS drops the repeats.
          MessageDeduplicationId: `reindex-${op.id}-${m.index}`,
        })),
      }),
    );
    if (out.Failed?.length)
      throw new Error(
        `the ingest queue refused ${out.Failed.length} reindex shares: ${out.Failed[0]?.Message}`,
      );
  }
  return messages.length;
}
