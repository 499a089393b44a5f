import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ControlApiError, ControlClient } from '#agent/control-client.ts';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

describe('ControlClient', () => {
  let server: Server;
  let url: string;
  const held: { end(): void }[] = [];

  before(async () => {
    // Answers /ok at once; takes every other request and never answers it (a silent connection).
    server = createServer((request, response) => {
      if (request.url?.startsWith('/ok')) {
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ fine: true }));
        return;
      }
      held.push(response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(async () => {
    for (const response of held) response.end();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('answers what the API answers', async () => {
    const client = new ControlClient({ url, region: 'us-east-1', credentials, timeoutMs: 2000 });
    assert.deepEqual(await client.request('GET', '/ok'), { fine: true });
  });

  it('gives up on a request left unanswered, saying so, instead of waiting for good', async () => {
    const client = new ControlClient({ url, region: 'us-east-1', credentials, timeoutMs: 200 });
    const started = Date.now();
    await assert.rejects(client.request('GET', '/silent'), (error: unknown) => {
      assert.ok(error instanceof ControlApiError, String(error));
      assert.equal(error.status, 0);
      assert.match(error.message, /GET \/silent: no answer within 0\.2 s/);
      return true;
    });
    assert.ok(Date.now() - started < 10_000, 'given up after its timeout');
  });
});
