import type { APIGatewayProxyResultV2, LambdaFunctionURLEvent } from 'aws-lambda';
import { ValidationError } from '#core/errors.ts';
import { configFor } from '#functions/config.ts';
import { RouteNotFoundError, routeRequest } from '#functions/control/route-request.ts';
import { ConflictError, OperationNotFoundError } from '#functions/errors.ts';
import { logger } from '#functions/observability.ts';
import { AccountNotFoundError } from '#functions/query/resolve-account.ts';
import { withObservability } from '#functions/with-observability.ts';

const config = configFor('control');

export const handler = withObservability(
  async (event: LambdaFunctionURLEvent): Promise<APIGatewayProxyResultV2> => {
    const body =
      event.body && event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
    try {
      const response = await routeRequest(config, {
        method: event.requestContext.http.method,
        path: event.rawPath,
        query: event.queryStringParameters ?? {},
        body,
      });
      return json(response.status, response.body);
    } catch (error) {
      if (
        error instanceof RouteNotFoundError ||
        error instanceof OperationNotFoundError ||
        error instanceof AccountNotFoundError
      ) {
        return json(404, { error: error.name, message: error.message });
      }
      if (error instanceof ConflictError) return json(409, { error: error.name, message: error.message });
      if (error instanceof ValidationError)
        return json(400, { error: error.name, message: error.message, issues: error.issues });
      logger.error('control request failed', { error });
      return json(500, {
        error: 'InternalError',
        message: 'the request failed; see the control function logs',
        requestId: event.requestContext.requestId,
      });
    }
  },
);

function json(statusCode: number, body: unknown): APIGatewayProxyResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
