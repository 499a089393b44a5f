import type { z } from 'zod';
import { coherencyParamsSchema } from '#core/coherency/coherency-request.ts';
import { drillParamsSchema } from '#core/drill/drill-request.ts';
import { reindexParamsSchema } from '#core/index/reindex-request.ts';
import { agentParamsSchemas, type OperationKind, selftestParamsSchema } from '#core/operation.ts';
import { restoreParamsSchema } from '#core/restore/restore-request.ts';
import { purgeParamsSchema } from '#core/retention/purge-request.ts';
import { exportParamsSchema, importParamsSchema } from '#core/transfer/transfer-request.ts';

/** The parameters each kind accepts: the control API checks them at once, so a mistake is a 400, not a failed operation. */
export const OPERATION_PARAMS: Partial<Record<OperationKind, z.ZodType>> = {
  selftest: selftestParamsSchema,
  restore: restoreParamsSchema,
  purge: purgeParamsSchema,
  coherency: coherencyParamsSchema,
  export: exportParamsSchema,
  import: importParamsSchema,
  reindex: reindexParamsSchema,
  drill: drillParamsSchema,
  ...agentParamsSchemas,
};
