import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { workMessageSchema } from '#core/operation.ts';
import { parseOrThrow } from '#core/validation.ts';
import { configFor } from '#functions/config.ts';
import { logger, metrics } from '#functions/observability.ts';
import { runWorkItem } from '#functions/operations/run-work-item.ts';
import { setOperationObjectLock } from '#functions/restore/operation-objects.ts';
import { withObservability } from '#functions/with-observability.ts';

const config = configFor('worker');
setOperationObjectLock(config.bucketObjectLock);
const processor = new BatchProcessor(EventType.SQS);

async function workRecord(record: SQSRecord): Promise<void> {
  const item = parseOrThrow(workMessageSchema, JSON.parse(record.body), `work message ${record.messageId}`);
  // The batch processor keeps a failure to itself: said here, where the dead-letter notice points.
  const result = await runWorkItem(config, item).catch((error: unknown) => {
    logger.error('work item failed', {
      operationId: item.operationId,
      index: item.index,
      error: error as Error,
    });
    throw error;
  });
  logger.info('work item', { operationId: item.operationId, index: item.index, result });
  metrics.addMetric('WorkItems', MetricUnit.Count, 1);
}

export const handler = withObservability((event: SQSEvent, context) =>
  processPartialResponse(event, workRecord, processor, { context }),
);
