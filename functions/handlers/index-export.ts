import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ScheduledEvent } from 'aws-lambda';
import { ValidationError } from '#core/errors.ts';
import { configFor } from '#functions/config.ts';
import { logger, metrics } from '#functions/observability.ts';
import { exportTables } from '#functions/replica/export-tables.ts';
import { withObservability } from '#functions/with-observability.ts';

const config = configFor('index-export');

/** The daily export of the index and operations tables into the bucket (and so to the replica). */
export const handler = withObservability(async (event: ScheduledEvent) => {
  if (event['detail-type'] !== 'Scheduled Event')
    throw new ValidationError(`expected a Scheduled Event, got ${event['detail-type']}`);
  const started = await exportTables(config, event.time);
  for (const e of started) logger.info('table export started', { ...e });
  metrics.addMetric('TableExportsStarted', MetricUnit.Count, started.length);
  return { exports: started };
});
