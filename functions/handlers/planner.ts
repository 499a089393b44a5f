import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { planMessageSchema } from '#core/operation.ts';
import { parseOrThrow } from '#core/validation.ts';
import { configFor } from '#functions/config.ts';
import { logger } from '#functions/observability.ts';
import { planOperation } from '#functions/operations/plan-operation.ts';
import { setOperationObjectLock } from '#functions/restore/operation-objects.ts';
import { withObservability } from '#functions/with-observability.ts';

const config = configFor('planner');
setOperationObjectLock(config.bucketObjectLock);
const processor = new BatchProcessor(EventType.SQS);

async function planRecord(record: SQSRecord): Promise<void> {
  const { operationId } = parseOrThrow(
    planMessageSchema,
    JSON.parse(record.body),
    `plan message ${record.messageId}`,
  );
  const result = await planOperation(config, operationId);
  logger.info('plan', { operationId, ...result });
}

export const handler = withObservability((event: SQSEvent, context) =>
  processPartialResponse(event, planRecord, processor, { context }),
);
