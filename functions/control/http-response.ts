import type { APIGatewayProxyResultV2, LambdaFunctionURLEvent } from 'aws-lambda';
import { ValidationError } from '#core/errors.ts';
import { callerOf } from '#functions/control/agent-caller.ts';
import { RouteNotFoundError } from '#functions/control/api-request.ts';
import { ConflictError, ForbiddenError, OperationNotFoundError } from '#functions/errors.ts';
import { logger } from '#functions/observability.ts';
import { AccountNotFoundError } from '#functions/query/resolve-account.ts';

/** A function URL request as the routes take it. */
export function apiRequest(event: LambdaFunctionURLEvent) {
  return {
    method: event.requestContext.http.method,
    path: event.rawPath,
    query: event.queryStringParameters ?? {},
    body:
      event.body && event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body,
  };
}

export function json(statusCode: number, body: unknown): APIGatewayProxyResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** The typed errors of the routes as status codes; anything else is a 500 that names the request. */
export function errorResponse(error: unknown, event: LambdaFunctionURLEvent): APIGatewayProxyResultV2 {
  if (
    error instanceof RouteNotFoundError ||
    error instanceof OperationNotFoundError ||
    error instanceof AccountNotFoundError
  ) {
    return json(404, { error: error.name, message: error.message });
  }
  if (error instanceof ConflictError) return json(409, { error: error.name, message: error.message });
  if (error instanceof ForbiddenError) {
    logger.warn('request refused', {
      error: error.message,
      caller: callerOf(event)?.userArn,
    });
    return json(403, { error: error.name, message: error.message });
  }
  if (error instanceof ValidationError)
    return json(400, { error: error.name, message: error.message, issues: error.issues });
  logger.error('control request failed', { error });
  return json(500, {
    error: 'InternalError',
    message: 'the request failed; see the function logs',
    requestId: event.requestContext.requestId,
  });
}
