import { legalHoldRequestSchema, retentionPolicySchema } from '#core/retention/retention-policy.ts';
import { parseOrThrow } from '#core/validation.ts';
import type { FunctionConfig } from '#functions/config.ts';
import { ok, type RouteHandlers } from '#functions/control/route-context.ts';
import { createOperation } from '#functions/operations/create-operation.ts';
import {
  listAudit,
  listHolds,
  placeHold,
  readPolicy,
  releaseHold,
  writePolicy,
} from '#functions/retention/policy-store.ts';

/** The retention policy and legal holds (who changes them is recorded with each change). */
export const RETENTION_ROUTES: RouteHandlers<FunctionConfig<'control'>> = {
  retention: async ({ config }) => ok({ policy: await readPolicy(config), holds: await listHolds(config) }),
  setRetention: async ({ config, body, by }) => {
    const policy = parseOrThrow(retentionPolicySchema, body(), 'retention policy');
    await writePolicy(config, policy, by);
    return ok({ policy: await readPolicy(config), holds: await listHolds(config) });
  },
  retentionAudit: async ({ config }) => ok({ audit: await listAudit(config) }),
  placeHold: async ({ config, body, by }) => {
    const { accountId, reason } = parseOrThrow(legalHoldRequestSchema, body(), 'legal hold');
    const hold = await placeHold(config, accountId, reason, by);
    return ok({ ...hold, operationId: await flagObjects(config, accountId, by) });
  },
  releaseHold: async ({ config, params, by }) => {
    const accountId = params.accountId as string;
    const released = await releaseHold(config, accountId, by);
    // Run even when it was not on hold: a release whose operation failed is finished by asking again.
    const operationId = await flagObjects(config, accountId, by);
    return ok({ accountId, released, operationId });
  },
};

/** The S3 legal-hold flags follow the hold: a legal-hold operation sets or clears them. */
async function flagObjects(
  config: FunctionConfig<'control'>,
  accountId: string,
  by: string,
): Promise<string> {
  const op = await createOperation(config, {
    kind: 'legal-hold',
    params: { accounts: [accountId] },
    source: 'api',
    requestedBy: by,
  });
  return op.id;
}
