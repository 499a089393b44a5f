import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { segmentAnnouncementSchema } from '#core/announcement.ts';
import { parseOrThrow } from '#core/validation.ts';
import { recordSegment } from '#functions/catalog/record-segment.ts';
import { configFor } from '#functions/config.ts';
import { logger, metrics } from '#functions/observability.ts';
import { withObservability } from '#functions/with-observability.ts';

const config = configFor('indexer');
const processor = new SqsFifoPartialProcessorAsync();

async function indexRecord(record: SQSRecord): Promise<void> {
  const announcement = parseOrThrow(
    segmentAnnouncementSchema,
    JSON.parse(record.body),
    `ingest message ${record.messageId}`,
  );
  const result = await recordSegment(announcement, config);
  logger.info('segment', {
    result,
    serverId: announcement.serverId,
    seq: announcement.seq,
    key: announcement.key,
  });
  metrics.addMetric(result === 'recorded' ? 'SegmentsIndexed' : 'SegmentsDuplicate', MetricUnit.Count, 1);
}

export const handler = withObservability((event: SQSEvent, context) =>
  // A failed segment holds back the later segments of its server (its message group), not other servers.
  processPartialResponse(event, indexRecord, processor, { context, skipGroupOnError: true }),
);
