import { legalHoldRequestSchema, retentionPolicySchema } from '#core/retention/retention-policy.ts';
import { parseOrThrow } from '#core/validation.ts';
import type { FunctionConfig } from '#functions/config.ts';
import type { ApiRequest, ApiResponse } from '#functions/control/api-request.ts';
import { createOperation } from '#functions/operations/create-operation.ts';
import {
  listAudit,
  listHolds,
  placeHold,
  readPolicy,
  releaseHold,
  writePolicy,
} from '#functions/retention/policy-store.ts';

const RELEASE = /^\/holds\/([A-Za-z0-9-]{1,127})\/release$/;

/** The retention policy and legal holds. Undefined when the path is not one of them. */
export async function retentionRoute(
  config: FunctionConfig<'control'>,
  request: ApiRequest,
  body: () => unknown,
  by: string,
): Promise<ApiResponse | undefined> {
  const { method, path } = request;
  if (path === '/retention' && method === 'GET')
    return { status: 200, body: { policy: await readPolicy(config), holds: await listHolds(config) } };
  if (path === '/retention' && method === 'POST') {
    const policy = parseOrThrow(retentionPolicySchema, body(), 'retention policy');
    await writePolicy(config, policy, by);
    return { status: 200, body: { policy: await readPolicy(config), holds: await listHolds(config) } };
  }
  if (path === '/retention/audit' && method === 'GET')
    return { status: 200, body: { audit: await listAudit(config) } };
  if (path === '/holds' && method === 'POST') {
    const { accountId, reason } = parseOrThrow(legalHoldRequestSchema, body(), 'legal hold');
    const hold = await placeHold(config, accountId, reason, by);
    return { status: 200, body: { ...hold, operationId: await flagObjects(config, accountId, by) } };
  }
  const release = RELEASE.exec(path);
  if (release?.[1] && method === 'POST') {
    const released = await releaseHold(config, release[1], by);
    // Run even when it was not on hold: a release whose operation failed is finished by asking again.
    const operationId = await flagObjects(config, release[1], by);
    return { status: 200, body: { accountId: release[1], released, operationId } };
  }
  return undefined;
}

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
