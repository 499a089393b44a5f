import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { workMessageSchema } from '#core/operation.ts';
import { parseOrThrow } from '#core/validation.ts';
import { configFor } from '#functions/config.ts';
import { logger, metrics } from '#functions/observability.ts';
import { setOperationObjectLock } from '#functions/restore/operation-objects.ts';
import { runPurgeItem } from '#functions/retention/run-purge-item.ts';
import { withObservability } from '#functions/with-observability.ts';

const config = configFor('purger');
setOperationObjectLock(config.bucketObjectLock);
const processor = new BatchProcessor(EventType.SQS);

async function purgeRecord(record: SQSRecord): Promise<void> {
  const item = parseOrThrow(workMessageSchema, JSON.parse(record.body), `purge message ${record.messageId}`);
  const result = await runPurgeItem(config, item);
  logger.info('purge share', { operationId: item.operationId, index: item.index, result });
  metrics.addMetric('PurgeShares', MetricUnit.Count, 1);
}

export const handler = withObservability((event: SQSEvent, context) =>
  processPartialResponse(event, purgeRecord, processor, { context }),
);
