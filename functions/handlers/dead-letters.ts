import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { configFor } from '#functions/config.ts';
import { logger, metrics } from '#functions/observability.ts';
import { setAside } from '#functions/operations/set-aside.ts';
import { withObservability } from '#functions/with-observability.ts';

const config = configFor('deadLetters');
const processor = new BatchProcessor(EventType.SQS);

async function setAsideRecord(record: SQSRecord): Promise<void> {
  const result = await setAside(config, record.body, record.eventSourceARN);
  // The alarm watches this metric: the dead-letter queues are emptied here.
  metrics.addMetric('OperationDeadLetters', MetricUnit.Count, 1);
  if (result.outcome === 'not-an-operation')
    logger.error('a dead letter that is no operation message was dropped', {
      messageId: record.messageId,
      queue: record.eventSourceARN,
      reason: result.reason,
    });
  else
    logger.error('an operation failed: part of it was dead-lettered', {
      ...result,
      queue: record.eventSourceARN,
    });
}

export const handler = withObservability((event: SQSEvent, context) =>
  processPartialResponse(event, setAsideRecord, processor, { context }),
);
