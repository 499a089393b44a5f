import { z } from 'zod';
import { dispatchReportSchema, type Operation } from '#core/operation.ts';
import { agentReportSchema } from '#core/operations/agent-reports.ts';
import { parseOrThrow } from '#core/validation.ts';
import { ok, type RouteHandlers } from '#functions/control/route-context.ts';
import { knownBlobs } from '#functions/index/known-blobs.ts';
import { claimDispatch, listDispatches, reportDispatch } from '#functions/operations/agent-dispatch.ts';
import { putAgentReport } from '#functions/operations/agent-reports.ts';
import { getOperation } from '#functions/operations/operations-store.ts';
import type { ReportTarget } from '#functions/operations/server-share.ts';

const knownBlobsRequestSchema = z.strictObject({
  sha256: z.array(z.string().regex(/^[0-9a-f]{64}$/)).max(1000),
});

export type DispatchConfig = ReportTarget & { readonly indexTable: string };

/**
 * The agent's API, all it may ask: the operations dispatched to its server (list, the state of one, claim,
 * report), what it has shipped (its report, for "is my backup current?"), and which bodies the blob store holds
 * (for an agent that may not read the bucket). Served by the agent's own function URL, which lets a caller act
 * only for its own server, and by the control API.
 */
export const DISPATCH_ROUTES: RouteHandlers<DispatchConfig> = {
  dispatches: async ({ config, params }) =>
    ok({ dispatches: await listDispatches(config, params.serverId as string) }),
  dispatch: async ({ config, params }) =>
    ok(dispatchedView(await getOperation(config, params.operationId as string))),
  claimDispatch: async ({ config, params }) =>
    ok({ dispatch: await claimDispatch(config, params.serverId as string, params.operationId as string) }),
  reportDispatch: async ({ config, params, body }) => {
    const report = parseOrThrow(dispatchReportSchema, body(), 'dispatch report');
    return ok(
      dispatchedView(
        await reportDispatch(config, params.serverId as string, params.operationId as string, report),
      ),
    );
  },
  knownBlobs: async ({ config, body }) => {
    const { sha256 } = parseOrThrow(knownBlobsRequestSchema, body(), 'known blobs request');
    return ok({ known: await knownBlobs(config.indexTable, sha256) });
  },
  agentReport: async ({ config, params, body }) => {
    const report = parseOrThrow(agentReportSchema, body(), 'agent report');
    const item = await putAgentReport(config, params.serverId as string, report);
    return ok({ receivedAt: item.receivedAt });
  },
};

/** An agent learns whether its operation still runs, not what the other servers reported. */
function dispatchedView(op: Operation): Pick<Operation, 'id' | 'kind' | 'state' | 'updatedAt'> {
  return { id: op.id, kind: op.kind, state: op.state, updatedAt: op.updatedAt };
}
