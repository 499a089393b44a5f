import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { workMessageSchema } from '#core/operation.ts';
import { parseOrThrow } from '#core/validation.ts';
import { runCoherencyItem } from '#functions/coherency/run-coherency-item.ts';
import { configFor } from '#functions/config.ts';
import { logger, metrics } from '#functions/observability.ts';
import { setOperationObjectLock } from '#functions/restore/operation-objects.ts';
import { withObservability } from '#functions/with-observability.ts';

const config = configFor('auditor');
setOperationObjectLock(config.bucketObjectLock);
const processor = new BatchProcessor(EventType.SQS);

async function auditRecord(record: SQSRecord): Promise<void> {
  const item = parseOrThrow(
    workMessageSchema,
    JSON.parse(record.body),
    `coherency message ${record.messageId}`,
  );
  const result = await runCoherencyItem(config, item);
  logger.info('coherency share', { operationId: item.operationId, index: item.index, result });
  metrics.addMetric('CoherencyShares', MetricUnit.Count, 1);
}

export const handler = withObservability((event: SQSEvent, context) =>
  processPartialResponse(event, auditRecord, processor, { context }),
);
