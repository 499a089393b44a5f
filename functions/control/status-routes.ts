import { ValidationError } from '#core/errors.ts';
import type { FunctionConfig } from '#functions/config.ts';
import { timeWindow } from '#functions/control/query-routes.ts';
import { ok, type RouteHandlers } from '#functions/control/route-context.ts';
import { agentReport, agentReports } from '#functions/operations/agent-reports.ts';
import { listRestorePoints } from '#functions/query/list-restore-points.ts';
import { listServers } from '#functions/query/resolve-account.ts';
import { readServerIndexState } from '#functions/query/server-index-state.ts';
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
  /**
   * What a server can be restored to; with `status=1` its status as well, from one read of where its index
   * stands (what `backup list` shows for each server).
   */
  restorePoints: async ({ config, params, request }) => {
    const serverId = params.serverId as string;
    const window = timeWindow(request.query);
    const withStatus = request.query.status;
    if (withStatus === undefined) return ok(await listRestorePoints(config.indexTable, serverId, window));
    if (withStatus !== '1')
      throw new ValidationError(`query parameter "status": expected 1, not "${withStatus}"`, []);
    const state = await readServerIndexState(config.indexTable, serverId);
    const [points, status] = await Promise.all([
      listRestorePoints(config.indexTable, serverId, window, state),
      agentReport(config, serverId).then((report) =>
        serverStatus(config.indexTable, serverId, report, state),
      ),
    ]);
    return ok({ ...points, status });
  },
};
