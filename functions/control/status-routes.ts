import type { FunctionConfig } from '#functions/config.ts';
import type { ApiRequest, ApiResponse } from '#functions/control/api-request.ts';
import { agentReports } from '#functions/operations/agent-reports.ts';
import { listServers } from '#functions/query/resolve-account.ts';
import { serverStatus } from '#functions/query/server-status.ts';

const SERVER_STATUS = /^\/servers\/([A-Za-z0-9._-]{1,64})\/status$/;

/**
 * "Is my backup current?": per server, what its agent shipped against what the index applied. `/status`
 * covers every server the index or an agent report knows (an agent whose first segments still wait in the
 * queue is listed too). Undefined when the path is neither.
 */
export async function statusRoute(
  config: FunctionConfig<'control'>,
  request: ApiRequest,
): Promise<ApiResponse | undefined> {
  if (request.method !== 'GET') return undefined;
  const one = SERVER_STATUS.exec(request.path);
  if (request.path !== '/status' && !one) return undefined;
  const [reports, indexed] = await Promise.all([agentReports(config), listServers(config.indexTable)]);
  const servers = one ? [one[1] as string] : [...new Set([...indexed, ...reports.keys()])].sort();
  const statuses = await Promise.all(
    servers.map((serverId) => serverStatus(config.indexTable, serverId, reports.get(serverId))),
  );
  return { status: 200, body: one ? statuses[0] : { servers: statuses } };
}
