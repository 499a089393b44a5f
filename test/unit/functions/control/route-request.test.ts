import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AGENT_ROUTES, CONTROL_ROUTES, type RouteName, routePath } from '#core/control-api.ts';
import type { FunctionConfig } from '#functions/config.ts';
import { RouteNotFoundError } from '#functions/control/api-request.ts';
import { routeRequest } from '#functions/control/route-request.ts';
import { ForbiddenError } from '#functions/errors.ts';

const SAMPLES: Record<string, string> = {
  serverId: 'mail1',
  account: 'jane@example.com',
  itemId: '257',
  operationId: '7d0e6c1a-3b1f-4c55-9a55-0f8d2c6e4b21',
  accountId: '0b9e8f4e-21aa-4c1b-9a55-0f8d2c6e4b21',
};
// A caller in none of the roles: every route but health is matched, then refused before it touches a table.
const nobody = { arn: 'arn:aws:sts::123456789012:assumed-role/someone/x', roles: [] };
const config = {} as FunctionConfig<'control'>;

describe('the control API router', () => {
  it('routes every route of the contract (the agents’ too), authorizing before anything is read', async () => {
    for (const [name, route] of Object.entries(CONTROL_ROUTES)) {
      const params = Object.fromEntries(
        [...route.path.matchAll(/:([A-Za-z]+)/g)].map((m) => [m[1], SAMPLES[m[1] as string]]),
      );
      const request = {
        method: route.method,
        path: routePath(name as RouteName, params as never),
        query: {},
        body: name === 'createOperation' ? JSON.stringify({ kind: 'selftest', params: {} }) : undefined,
      };
      const answered = routeRequest(config, request, nobody);
      if (name === 'health') assert.deepEqual(await answered, { status: 200, body: { ok: true } });
      else
        await assert.rejects(
          answered,
          (error: unknown) => {
            assert.ok(!(error instanceof RouteNotFoundError), `${name}: ${String(error)}`);
            return error instanceof ForbiddenError;
          },
          name,
        );
    }
  });

  it('names no route for what the contract does not hold', async () => {
    for (const [method, path] of [
      ['GET', '/nowhere'],
      ['DELETE', '/operations'],
      ['GET', '/servers/mail%2F1/status'],
    ] as const)
      await assert.rejects(
        routeRequest(config, { method, path, query: {}, body: undefined }, nobody),
        RouteNotFoundError,
      );
  });

  it('serves the agents only routes of their own', () => {
    for (const name of AGENT_ROUTES)
      assert.ok(
        CONTROL_ROUTES[name].path === '/health' ||
          CONTROL_ROUTES[name].path.startsWith('/servers/:serverId/'),
        name,
      );
  });
});
