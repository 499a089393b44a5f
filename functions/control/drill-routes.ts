import { z } from 'zod';
import { parseOrThrow } from '#core/validation.ts';
import type { FunctionConfig } from '#functions/config.ts';
import { ok, type RouteHandlers } from '#functions/control/route-context.ts';
import { drillPublicKey, getDrill, listDrills } from '#functions/drill/drill-store.ts';

const listQuery = z.strictObject({
  since: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date, YYYY-MM-DD')
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(30),
});
const drillQuery = z.strictObject({
  /** The day the drill started, when the caller knows it: only that day is looked in. */
  date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date, YYYY-MM-DD')
    .optional(),
});

/** Restore drills: their signed attestations, and the public key that verifies them. */
export const DRILL_ROUTES: RouteHandlers<FunctionConfig<'control'>> = {
  drills: async ({ config, request }) => {
    const q = parseOrThrow(listQuery, request.query, 'query parameters');
    return ok({ drills: await listDrills(config.backupBucket, q.since, q.limit) });
  },
  drill: async ({ config, params, request }) => {
    const { date } = parseOrThrow(drillQuery, request.query, 'query parameters');
    const found = await getDrill(config.backupBucket, params.operationId as string, date);
    if (!found)
      return {
        status: 404,
        body: {
          error: 'DrillNotFound',
          message: `no attestation of drill ${params.operationId} in the bucket (a drill that is still running, or that failed before it could write one, has none: see offsite ops show ${params.operationId})`,
        },
      };
    return ok(found);
  },
  drillKey: async ({ config }) => ok(await drillPublicKey(config.drillSigningKey)),
};
