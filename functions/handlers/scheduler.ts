import type { ScheduledEvent } from 'aws-lambda';
import { ValidationError } from '#core/errors.ts';
import { configFor } from '#functions/config.ts';
import { logger } from '#functions/observability.ts';
import { createOperation } from '#functions/operations/create-operation.ts';
import { expireStalled } from '#functions/operations/expire-stalled.ts';
import { jobFromRuleArn } from '#functions/operations/scheduled-job.ts';
import { withObservability } from '#functions/with-observability.ts';

const config = configFor('scheduler');

export const handler = withObservability(async (event: ScheduledEvent) => {
  if (event['detail-type'] !== 'Scheduled Event' || event.resources.length !== 1 || !event.resources[0]) {
    throw new ValidationError(
      `expected a Scheduled Event from one rule, got ${event['detail-type']} from ${event.resources.length} resources`,
    );
  }
  // Every firing (the sweep's every 30 minutes by default) fails what has stalled.
  const expired = await expireStalled(config);
  for (const op of expired)
    logger.warn('a stalled operation was failed', {
      operationId: op.id,
      kind: op.kind,
      lastUpdate: op.updatedAt,
    });
  const kind = jobFromRuleArn(event.resources[0]);
  if (kind === 'sweep') return { swept: expired.length };
  const op = await createOperation(config, {
    kind,
    params: {},
    source: 'schedule',
    now: new Date(event.time),
  });
  logger.info('scheduled operation', { kind, operationId: op.id, firedAt: event.time });
  return { operationId: op.id, kind };
});
