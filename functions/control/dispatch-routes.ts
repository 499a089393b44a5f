import { z } from 'zod';
import { dispatchReportSchema, type Operation } from '#core/operation.ts';
import { agentReportSchema } from '#core/operations/agent-reports.ts';
import { parseOrThrow } from '#core/validation.ts';
import type { ApiRequest, ApiResponse } from '#functions/control/api-request.ts';
import { knownBlobs } from '#functions/index/known-blobs.ts';
import { claimDispatch, listDispatches, reportDispatch } from '#functions/operations/agent-dispatch.ts';
import { putAgentReport } from '#functions/operations/agent-reports.ts';
import { getOperation } from '#functions/operations/operations-store.ts';
import type { ReportTarget } from '#functions/operations/server-share.ts';

const SERVER = '/servers/([A-Za-z0-9._-]{1,64})';
const DISPATCHES = new RegExp(`^${SERVER}/dispatches$`);
const DISPATCH = new RegExp(`^${SERVER}/dispatches/([0-9a-f-]{36})$`);
const ACTION = new RegExp(`^${SERVER}/dispatches/([0-9a-f-]{36})/(claim|report)$`);
const KNOWN_BLOBS = new RegExp(`^${SERVER}/blobs/known$`);
const AGENT_REPORT = new RegExp(`^${SERVER}/agent-report$`);
const knownBlobsRequestSchema = z.strictObject({
  sha256: z.array(z.string().regex(/^[0-9a-f]{64}$/)).max(1000),
});

/**
 * The agent's API, all it may ask: the operations dispatched to its server (list, the state of one,
 * claim, report), what it has shipped (its report, for "is my backup current?"), and which bodies the blob store holds (for an agent that may not read the bucket). Undefined when the request is none of them. Served by the agent's own function URL and
 * by the control API; `mayAct` throws when the caller may not act for the server the path names.
 */
export async function dispatchRoute(
  config: ReportTarget & { readonly indexTable: string },
  request: ApiRequest,
  body: () => unknown,
  mayAct: (serverId: string) => void = () => undefined,
): Promise<ApiResponse | undefined> {
  const { method, path } = request;
  const server = new RegExp(`^${SERVER}/`).exec(path)?.[1];
  if (server !== undefined) mayAct(server);
  const list = DISPATCHES.exec(path);
  if (method === 'GET' && list?.[1])
    return { status: 200, body: { dispatches: await listDispatches(config, list[1]) } };
  const one = DISPATCH.exec(path);
  if (method === 'GET' && one?.[2])
    return { status: 200, body: dispatchedView(await getOperation(config, one[2])) };
  if (method === 'POST' && KNOWN_BLOBS.test(path)) {
    const { sha256 } = parseOrThrow(knownBlobsRequestSchema, body(), 'known blobs request');
    return { status: 200, body: { known: await knownBlobs(config.indexTable, sha256) } };
  }
  const reported = AGENT_REPORT.exec(path);
  if (method === 'POST' && reported?.[1]) {
    const report = parseOrThrow(agentReportSchema, body(), 'agent report');
    const item = await putAgentReport(config, reported[1], report);
    return { status: 200, body: { receivedAt: item.receivedAt } };
  }
  const action = ACTION.exec(path);
  if (method === 'POST' && action?.[1] && action[2]) {
    const [, serverId, operationId, verb] = action;
    if (verb === 'claim')
      return { status: 200, body: { dispatch: await claimDispatch(config, serverId, operationId) } };
    const report = parseOrThrow(dispatchReportSchema, body(), 'dispatch report');
    return { status: 200, body: dispatchedView(await reportDispatch(config, serverId, operationId, report)) };
  }
  return undefined;
}

/** An agent learns whether its operation still runs, not what the other servers reported. */
function dispatchedView(op: Operation): Pick<Operation, 'id' | 'kind' | 'state' | 'updatedAt'> {
  return { id: op.id, kind: op.kind, state: op.state, updatedAt: op.updatedAt };
}
