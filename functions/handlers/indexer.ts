import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { ingestMessageSchema } from '#core/announcement.ts';
import { parseOrThrow } from '#core/validation.ts';
import { recordShipment } from '#functions/catalog/record-shipment.ts';
import { configFor } from '#functions/config.ts';
import { logger, metrics } from '#functions/observability.ts';
import { withObservability } from '#functions/with-observability.ts';

const config = configFor('indexer');
const processor = new SqsFifoPartialProcessorAsync();

async function indexRecord(record: SQSRecord): Promise<void> {
  const message = parseOrThrow(
    ingestMessageSchema,
    JSON.parse(record.body),
    `ingest message ${record.messageId}`,
  );
  const result = await recordShipment(message, config);
  logger.info(message.type, { result, serverId: message.serverId, key: message.key });
  metrics.addMetric(result === 'recorded' ? 'ShipmentsIndexed' : 'ShipmentsDuplicate', MetricUnit.Count, 1);
}

export const handler = withObservability((event: SQSEvent, context) =>
  // A failed segment holds back the later segments of its server (its message group), not other servers.
  processPartialResponse(event, indexRecord, processor, { context, skipGroupOnError: true }),
);
