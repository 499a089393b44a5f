import { legalHoldRequestSchema, retentionPolicySchema } from '#core/retention/retention-policy.ts';
import { parseOrThrow } from '#core/validation.ts';
import type { FunctionConfig } from '#functions/config.ts';
import type { ApiRequest, ApiResponse } from '#functions/control/api-request.ts';
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
    return { status: 200, body: await placeHold(config, accountId, reason, by) };
  }
  const release = RELEASE.exec(path);
  if (release?.[1] && method === 'POST')
    return {
      status: 200,
      body: { accountId: release[1], released: await releaseHold(config, release[1], by) },
    };
  return undefined;
}
