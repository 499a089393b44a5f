import type { FunctionConfig } from '#functions/config.ts';
import { ok, type RouteHandlers } from '#functions/control/route-context.ts';
import { agentReport, agentReports } from '#functions/operations/agent-reports.ts';
import { listServers } from '#functions/query/resolve-account.ts';
import { serverStatus } from '#functions/query/server-status.ts';

/**
 * "Is my backup current?": per server, what its agent shipped against what the index applied. `status` covers
 * every server the index or an agent report knows (an agent whose first segments still wait in the queue is
 * listed too).
 */
export const STATUS_ROUTES: RouteHandlers<FunctionConfig<'control'>> = {
  status: async ({ config }) => {
    const [reports, indexed] = await Promise.all([agentReports(config), listServers(config.indexTable)]);
    const servers = [...new Set([...indexed, ...reports.keys()])].sort();
    return ok({
      servers: await Promise.all(servers.map((id) => serverStatus(config.indexTable, id, reports.get(id)))),
    });
  },
  serverStatus: async ({ config, params }) => {
    const serverId = params.serverId as string;
    return ok(await serverStatus(config.indexTable, serverId, await agentReport(config, serverId)));
  },
};
