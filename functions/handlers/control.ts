import type { APIGatewayProxyResultV2, LambdaFunctionURLEvent } from 'aws-lambda';
import { configFor } from '#functions/config.ts';
import { callerOfRequest } from '#functions/control/caller-roles.ts';
import { apiRequest, errorResponse, json } from '#functions/control/http-response.ts';
import { routeRequest } from '#functions/control/route-request.ts';
import { withObservability } from '#functions/with-observability.ts';

const config = configFor('control');

export const handler = withObservability(
  async (event: LambdaFunctionURLEvent): Promise<APIGatewayProxyResultV2> => {
    try {
      const response = await routeRequest(
        config,
        apiRequest(event),
        callerOfRequest(event, config.personRoleIds),
      );
      return json(response.status, response.body);
    } catch (error) {
      return errorResponse(error, event);
    }
  },
);
