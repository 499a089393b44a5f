import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AGENT_ROUTES, CONTROL_ROUTES, matchRoute, type RouteName, routePath } from '#core/control-api.ts';

describe('the control API contract', () => {
  it('builds each path from its parameters, encoded, with the query parameters given', () => {
    assert.equal(
      routePath('restorePoints', { serverId: 'mail1' }, { from: '2026-12-01T00:00:00Z', to: undefined }),
      '/servers/mail1/restore-points?from=2026-12-01T00%3A00%3A00Z',
    );
    assert.equal(
      routePath('item', { account: 'jane doe/x@example.com', itemId: '257' }),
      '/mailboxes/jane%20doe%2Fx%40example.com/items/257',
    );
    assert.equal(routePath('accounts', {}, { deleted: false, at: 5 }), '/accounts?at=5');
  });

  it('matches every path it builds back to its route and parameters', () => {
    const samples: Record<string, string> = {
      serverId: 'mail-1.example_2',
      account: 'jane+tag@example.com',
      itemId: '4711',
      operationId: '7d0e6c1a-3b1f-4c55-9a55-0f8d2c6e4b21',
      accountId: '0b9e8f4e-21aa-4c1b-9a55-0f8d2c6e4b21',
    };
    for (const [name, route] of Object.entries(CONTROL_ROUTES)) {
      const params = Object.fromEntries(
        [...route.path.matchAll(/:([A-Za-z]+)/g)].map((m) => [m[1], samples[m[1] as string]]),
      );
      const path = routePath(name as RouteName, params as never);
      assert.deepEqual(matchRoute(route.method, path), { name, params }, path);
    }
  });

  it('names no route for a wrong method, a parameter outside its pattern, or a malformed escape', () => {
    assert.equal(matchRoute('POST', '/servers/mail1/restore-points'), undefined);
    assert.equal(matchRoute('GET', '/servers/mail%2F1/restore-points'), undefined);
    assert.equal(matchRoute('GET', '/operations/not-a-uuid'), undefined);
    assert.equal(matchRoute('GET', '/mailboxes/%zz'), undefined);
    assert.equal(matchRoute('GET', '/mailboxes/a/items/12ab'), undefined);
  });

  it('gives the agents only their own routes', () => {
    for (const name of AGENT_ROUTES) assert.ok(name in CONTROL_ROUTES);
    assert.ok(!(AGENT_ROUTES as readonly string[]).includes('createOperation'));
    assert.ok(!(AGENT_ROUTES as readonly string[]).includes('mailbox'));
  });
});
