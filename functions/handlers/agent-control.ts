import type { APIGatewayProxyResultV2, LambdaFunctionURLEvent } from 'aws-lambda';
import { AGENT_ROUTES, matchRoute } from '#core/control-api.ts';
import { configFor } from '#functions/config.ts';
import { agentMayAct, callerOf } from '#functions/control/agent-caller.ts';
import { parseBody, RouteNotFoundError } from '#functions/control/api-request.ts';
import { DISPATCH_ROUTES } from '#functions/control/dispatch-routes.ts';
import { apiRequest, errorResponse, json } from '#functions/control/http-response.ts';
import { withObservability } from '#functions/with-observability.ts';

const config = configFor('agentControl');

/** The agents' own function URL: the routes of AGENT_ROUTES and nothing else. */
export const handler = withObservability(
  async (event: LambdaFunctionURLEvent): Promise<APIGatewayProxyResultV2> => {
    const request = apiRequest(event);
    try {
      const match = matchRoute(request.method, request.path);
      if (match?.name === 'health') return json(200, { ok: true });
      const route = match && (AGENT_ROUTES as readonly string[]).includes(match.name) ? match : undefined;
      const routeHandler = route && DISPATCH_ROUTES[route.name];
      if (!route || !routeHandler)
        throw new RouteNotFoundError(
          `no route for ${request.method} ${request.path} in the agent API (operators use the control API)`,
        );
      // In a deployment with server identities, only the server's own role acts for it.
      if (route.params.serverId !== undefined) agentMayAct(event, config.agentRoleIds)(route.params.serverId);
      const response = await routeHandler({
        config,
        request,
        params: route.params,
        body: () => parseBody(request.body),
        by: callerOf(event)?.userArn ?? 'unknown',
      });
      return json(response.status, response.body);
    } catch (error) {
      return errorResponse(error, event);
    }
  },
);
