import type { APIGatewayProxyResultV2, LambdaFunctionURLEvent } from 'aws-lambda';
import { configFor } from '#functions/config.ts';
import { agentMayAct } from '#functions/control/agent-caller.ts';
import { parseBody, RouteNotFoundError } from '#functions/control/api-request.ts';
import { dispatchRoute } from '#functions/control/dispatch-routes.ts';
import { apiRequest, errorResponse, json } from '#functions/control/http-response.ts';
import { withObservability } from '#functions/with-observability.ts';

const config = configFor('agentControl');

/** The agents' own function URL: the dispatch routes and nothing else (see dispatch-routes.ts). */
export const handler = withObservability(
  async (event: LambdaFunctionURLEvent): Promise<APIGatewayProxyResultV2> => {
    const request = apiRequest(event);
    try {
      if (request.method === 'GET' && request.path === '/health') return json(200, { ok: true });
      const response = await dispatchRoute(
        config,
        request,
        () => parseBody(request.body),
        agentMayAct(event, config.agentRoleIds),
      );
      if (!response)
        throw new RouteNotFoundError(
          `no route for ${request.method} ${request.path} in the agent API (operators use the control API)`,
        );
      return json(response.status, response.body);
    } catch (error) {
      return errorResponse(error, event);
    }
  },
);
