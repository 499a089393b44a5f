import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ControlApiError } from '#agent/control-client.ts';
import { CONSOLE_CSS, CONSOLE_HTML, CONSOLE_JS } from '#cli/console/console-page.ts';

export interface ConsoleDeps {
  /** The control API, signed with the operator's own credentials (this process holds them, the page never). */
  control: { request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> };
  /** A restore's report from the bucket; undefined when no bucket was given. */
  readReport?: (operationId: string) => Promise<unknown>;
  port?: number;
  /** Tests may fix it; by default 32 random bytes. */
  token?: string;
}

export interface RunningConsole {
  /** The page, with the one-time token: whoever has it acts as the operator who started the console. */
  url: string;
  port: number;
  close(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  // The token is in the page's URL: no other site ever sees it in a Referer.
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/**
 * The console: a page on 127.0.0.1 and a pass-through to the control API. Only requests that carry the
 * one-time token (the page's URL has it; the page sends it as a header, which no other site's page can set
 * without a CORS preflight this server never answers) and that name this server as their Host (no DNS
 * rebinding) reach the API. No new cloud access exists: the control API sees the operator's own signature.
 */
export async function startConsole(deps: ConsoleDeps): Promise<RunningConsole> {
  const token = deps.token ?? randomBytes(32).toString('base64url');
  const expected = Buffer.from(token);
  const tokenOk = (given: string | null | undefined) =>
    given !== null &&
    given !== undefined &&
    Buffer.byteLength(given) === expected.length &&
    timingSafeEqual(Buffer.from(given), expected);
  let port = 0;
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => send(response, 500, { message: String(error) }));
  });
  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', `http://127.0.0.1:${port}`);
    const host = request.headers.host;
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`)
      return send(response, 421, { message: 'this console answers only at 127.0.0.1' });
    if (request.method === 'GET' && url.pathname === '/') {
      // The page itself holds nothing; still, only its link opens it.
      if (!tokenOk(url.searchParams.get('token')) && !tokenOk(request.headers['x-offsite-token'] as string))
        return send(response, 403, {
          message: 'open the URL `offsite console` printed (it carries the token)',
        });
      return sendText(response, 'text/html; charset=utf-8', CONSOLE_HTML);
    }
    if (request.method === 'GET' && url.pathname === '/console.js')
      return sendText(response, 'text/javascript; charset=utf-8', CONSOLE_JS);
    if (request.method === 'GET' && url.pathname === '/console.css')
      return sendText(response, 'text/css; charset=utf-8', CONSOLE_CSS);
    if (!tokenOk(request.headers['x-offsite-token'] as string | undefined))
      return send(response, 403, { message: 'no console token: open the URL `offsite console` printed' });
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== `http://${host}`)
      return send(response, 403, { message: `requests from ${origin} are not taken` });
    const report = /^\/local\/report\/([0-9a-f-]{36})$/.exec(url.pathname);
    if (request.method === 'GET' && report?.[1] && UUID.test(report[1])) {
      if (!deps.readReport)
        return send(response, 501, {
          message: 'start the console with --bucket (or OFFSITE_BUCKET) to read reports',
        });
      return send(response, 200, await deps.readReport(report[1]));
    }
    if (!url.pathname.startsWith('/api/') || (request.method !== 'GET' && request.method !== 'POST'))
      return send(response, 404, { message: `no ${request.method} ${url.pathname} here` });
    const body = request.method === 'POST' ? await readBody(request) : undefined;
    try {
      const answer = await deps.control.request(
        request.method,
        `${url.pathname.slice('/api'.length)}${url.search}`,
        body,
      );
      send(response, 200, answer ?? {});
    } catch (error) {
      if (error instanceof ControlApiError) return send(response, error.status, { message: error.message });
      send(response, 502, { message: `the control API could not be asked: ${(error as Error).message}` });
    }
  }
  await new Promise<void>((resolve) => server.listen(deps.port ?? 0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('request body over 1 MiB');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as unknown) : undefined;
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...SECURITY_HEADERS });
  response.end(JSON.stringify(body));
}

function sendText(response: ServerResponse, type: string, text: string): void {
  response.writeHead(200, { 'content-type': type, ...SECURITY_HEADERS });
  response.end(text);
}
