import { z } from 'zod';
import { matchRoute } from '#core/control-api.ts';
import { createOperationRequestSchema, OPERATION_STATES } from '#core/operation.ts';
import { OPERATION_PARAMS } from '#core/operation-params.ts';
import { parseOrThrow } from '#core/validation.ts';
import type { FunctionConfig } from '#functions/config.ts';
import {
  type ApiRequest,
  type ApiResponse,
  parseBody,
  RouteNotFoundError,
} from '#functions/control/api-request.ts';
import { BRIDGE_ROUTES } from '#functions/control/bridge-route.ts';
import { authorize, type Caller } from '#functions/control/caller-roles.ts';
import { DISPATCH_ROUTES } from '#functions/control/dispatch-routes.ts';
import { DRILL_ROUTES } from '#functions/control/drill-routes.ts';
import { QUERY_ROUTES } from '#functions/control/query-routes.ts';
import { RETENTION_ROUTES } from '#functions/control/retention-routes.ts';
import { ok, type RouteHandlers } from '#functions/control/route-context.ts';
import { STATUS_ROUTES } from '#functions/control/status-routes.ts';
import { createOperation } from '#functions/operations/create-operation.ts';
import { finishOperation, getOperation, listOperations } from '#functions/operations/operations-store.ts';

const stateQuery = z.enum(OPERATION_STATES).default('running');

const OPERATION_ROUTES: RouteHandlers<FunctionConfig<'control'>> = {
  health: async () => ok({ ok: true }),
  operations: async ({ config, request }) => {
    const state = parseOrThrow(stateQuery, request.query.state, 'query parameter "state"');
    return ok({ operations: await listOperations(config, state) });
  },
  operation: async ({ config, params }) => ok(await getOperation(config, params.operationId as string)),
  stopOperation: async ({ config, params }) => {
    const id = params.operationId as string;
    // Workers look at the state between messages and stop; a finished operation stays as it ended.
    await finishOperation(config, id, 'stopped', 'stopped by request');
    return ok(await getOperation(config, id));
  },
};

/** Every route of the control API, by its name in CONTROL_ROUTES. */
const ROUTES: RouteHandlers<FunctionConfig<'control'>> = {
  ...OPERATION_ROUTES,
  ...QUERY_ROUTES,
  ...STATUS_ROUTES,
  ...DISPATCH_ROUTES,
  ...BRIDGE_ROUTES,
  ...RETENTION_ROUTES,
  ...DRILL_ROUTES,
};

/** The control API: the route the request names, once the caller's roles allow it. Errors are thrown typed. */
export async function routeRequest(
  config: FunctionConfig<'control'>,
  request: ApiRequest,
  caller: Caller,
): Promise<ApiResponse> {
  const { method, path } = request;
  const match = matchRoute(method, path);
  if (!match) throw new RouteNotFoundError(`no route for ${method} ${path}`);
  const body = () => parseBody(request.body);
  if (match.name === 'createOperation') {
    const input = parseOrThrow(createOperationRequestSchema, body(), 'operation request');
    authorize(caller, method, path, input.kind);
    const schema = OPERATION_PARAMS[input.kind];
    const params = schema
      ? (parseOrThrow(schema, input.params, `${input.kind} parameters`) as Record<string, unknown>)
      : input.params;
    // A directory with its password hashes is for operators only.
    if (params.withSecrets === true) authorize(caller, method, path, input.kind, true);
    const op = await createOperation(config, { ...input, params, source: 'api', requestedBy: caller.arn });
    return { status: 202, body: op };
  }
  const handler = ROUTES[match.name];
  if (!handler) throw new RouteNotFoundError(`no route for ${method} ${path}`);
  if (match.name !== 'health') authorize(caller, method, path);
  return handler({ config, request, params: match.params, body, by: caller.arn });
}
