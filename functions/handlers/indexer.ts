import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { ingestMessageSchema } from '#core/announcement.ts';
import { configFor } from '#functions/config.ts';
import { ingestRefusal } from '#functions/index/authenticate-ingest.ts';
import { handleIngest } from '#functions/index/handle-ingest.ts';
import { refuseIngest } from '#functions/index/refuse-ingest.ts';
import { logger, metrics } from '#functions/observability.ts';
import { withObservability } from '#functions/with-observability.ts';

const config = configFor('indexer');
const processor = new SqsFifoPartialProcessorAsync();
const senders = { internal: config.ingestInternalSenders, servers: config.agentRoleIds };
/** Stop starting new segments with this much of the invocation left (a segment takes seconds at most). */
const RESERVE_MS = 30_000;
let deadline = 0;

async function indexRecord(record: SQSRecord): Promise<void> {
  try {
    await indexMessage(record);
  } catch (error) {
    // The batch processor turns a throw into a retry silently: say why here.
    logger.error('ingest message failed; it will be retried', { messageId: record.messageId, error });
    throw error;
  }
}

async function indexMessage(record: SQSRecord): Promise<void> {
  const parsed = ingestMessageSchema.safeParse(parseJson(record.body));
  const reason = parsed.success
    ? ingestRefusal(parsed.data, record.attributes.SenderId, senders)
    : `not an ingest message: ${parsed.error.issues[0]?.message ?? 'invalid'}`;
  if (!parsed.success || reason !== undefined) {
    await refuseIngest(config.ingestDeadLetterQueueUrl, record, reason ?? 'invalid');
    metrics.addMetric('IngestMessagesRefused', MetricUnit.Count, 1);
    logger.error('ingest message refused: put in the dead-letter queue with the reason', {
      messageId: record.messageId,
      senderId: record.attributes.SenderId,
      reason,
    });
    return;
  }
  const message = parsed.data;
  const { shipment, outcome, directory, bridge, reindex } = await handleIngest(message, config, deadline);
  if (reindex?.state === 'finished') {
    metrics.addMetric('ServersReindexed', MetricUnit.Count, 1);
    logger.info('reindex finished', { serverId: message.serverId, ...reindex.summary });
  } else if (reindex) logger.info('reindex', { serverId: message.serverId, ...reindex });
  if (bridge?.state === 'bridged') logger.warn('indexing bridged a gap: redo in it is lost', { ...bridge });
  else if (bridge)
    logger.warn('bridge request refused', { serverId: message.serverId, reason: bridge.reason });
  if (shipment)
    metrics.addMetric(
      shipment === 'recorded' ? 'ShipmentsIndexed' : 'ShipmentsDuplicate',
      MetricUnit.Count,
      1,
    );
  if (directory?.state === 'quarantined') {
    metrics.addMetric('SegmentsQuarantined', MetricUnit.Count, 1);
    logger.error('an LDAP dump is quarantined', { serverId: message.serverId, reason: directory.reason });
  } else if (directory) logger.info('ldap-dump', { serverId: message.serverId, ...directory });
  if (!outcome) return;
  const ops = outcome.indexed.reduce((sum, r) => sum + r.ops, 0);
  metrics.addMetric('SegmentsIndexed', MetricUnit.Count, outcome.indexed.length);
  metrics.addMetric('RedoOpsIndexed', MetricUnit.Count, ops);
  const warnings = outcome.indexed.flatMap((r) => r.warnings);
  if (warnings.length > 0)
    logger.warn('ops referred to missing entities', {
      serverId: message.serverId,
      warnings: warnings.slice(0, 20),
      count: warnings.length,
    });
  const undecoded = outcome.indexed.filter((r) => r.undecoded.length > 0);
  metrics.addMetric(
    'RedoRecordsUndecoded',
    MetricUnit.Count,
    undecoded.reduce((sum, r) => sum + r.undecoded.length, 0),
  );
  // Once per segment, with every position (bounded): indexing went on, these mailboxes wait for a scan.
  for (const r of undecoded)
    logger.warn('redo records that do not decode were skipped; their mailboxes are uncertain until a scan', {
      serverId: message.serverId,
      segment: r.segment,
      count: r.undecoded.length,
      records: r.undecoded.slice(0, 20),
    });
  if (outcome.state === 'gap') metrics.addMetric('IndexGaps', MetricUnit.Count, 1);
  if (outcome.state === 'quarantined') {
    metrics.addMetric('SegmentsQuarantined', MetricUnit.Count, 1);
    logger.error('indexing is held at a quarantined segment', {
      serverId: message.serverId,
      reason: outcome.reason,
    });
  } else {
    logger.info(message.type, {
      serverId: message.serverId,
      state: outcome.state,
      segments: outcome.indexed.length,
      ops,
    });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const handler = withObservability((event: SQSEvent, context: Context) => {
  deadline = Date.now() + context.getRemainingTimeInMillis() - RESERVE_MS;
  // A failed segment holds back the later segments of its server (its message group), not other servers.
  return processPartialResponse(event, indexRecord, processor, { context, skipGroupOnError: true });
});
