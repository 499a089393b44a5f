import { z } from 'zod';
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
import { bridgeRoute } from '#functions/control/bridge-route.ts';
import { authorize, type Caller } from '#functions/control/caller-roles.ts';
import { dispatchRoute } from '#functions/control/dispatch-routes.ts';
import { queryRoute } from '#functions/control/query-routes.ts';
import { retentionRoute } from '#functions/control/retention-routes.ts';
import { statusRoute } from '#functions/control/status-routes.ts';
import { createOperation } from '#functions/operations/create-operation.ts';
import { finishOperation, getOperation, listOperations } from '#functions/operations/operations-store.ts';

const OPERATION_PATH = /^\/operations\/([0-9a-f-]{36})$/;
const STOP_PATH = /^\/operations\/([0-9a-f-]{36})\/stop$/;
const stateQuery = z.enum(OPERATION_STATES).default('running');

/** The control API's routes. Errors are thrown typed; the handler maps them to status codes. */
export async function routeRequest(
  config: FunctionConfig<'control'>,
  request: ApiRequest,
  caller: Caller,
): Promise<ApiResponse> {
  const { method, path } = request;
  if (method === 'GET' && path === '/health') return { status: 200, body: { ok: true } };
  if (method === 'POST' && path === '/operations') {
    const input = parseOrThrow(createOperationRequestSchema, parseBody(request.body), 'operation request');
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
  authorize(caller, method, path);
  if (method === 'GET' && path === '/operations') {
    const state = parseOrThrow(stateQuery, request.query.state, 'query parameter "state"');
    return { status: 200, body: { operations: await listOperations(config, state) } };
  }
  const query = await queryRoute(config.indexTable, request);
  if (query) return query;
  const status = await statusRoute(config, request);
  if (status) return status;
  const dispatch = await dispatchRoute(config, request, () => parseBody(request.body));
  if (dispatch) return dispatch;
  const bridge = await bridgeRoute(config, request, () => parseBody(request.body), caller.arn);
  if (bridge) return bridge;
  const retention = await retentionRoute(config, request, () => parseBody(request.body), caller.arn);
  if (retention) return retention;
  const stop = STOP_PATH.exec(path);
  if (method === 'POST' && stop?.[1]) {
    // Workers look at the state between messages and stop; a finished operation stays as it ended.
    await finishOperation(config, stop[1], 'stopped', 'stopped by request');
    return { status: 200, body: await getOperation(config, stop[1]) };
  }
  const match = OPERATION_PATH.exec(path);
  if (method === 'GET' && match?.[1]) return { status: 200, body: await getOperation(config, match[1]) };
  throw new RouteNotFoundError(`no route for ${method} ${path}`);
}
