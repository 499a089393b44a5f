import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { LOOPBACK } from '#local/emulators/ports.ts';
import type { LambdaFunction } from '#local/runtime/lambda-function.ts';

const MAX_BODY = 6 * 1024 * 1024;

/**
 * A Lambda function URL on loopback: HTTP in, payload format 2.0 event, result mapped back to HTTP.
 * With AuthType AWS_IAM an unsigned request is refused with 403 as on AWS; the signature itself is not
 * verified here (there is no IAM locally), and every signed caller is the one local identity.
 */
export async function startFunctionUrl(
  fn: LambdaFunction,
  options: {
    port: number;
    authType: string;
    region: string;
    account: string;
    /** The one identity every signed caller has locally (every role's id is it: there is no IAM here). */
    callerId: string;
  },
): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'Internal Server Error', detail: String(error) }));
    });
  });
  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) {
        res.writeHead(413).end();
        return;
      }
      chunks.push(chunk as Buffer);
    }
    const authorization = req.headers.authorization ?? '';
    if (options.authType === 'AWS_IAM' && !authorization.startsWith('AWS4-HMAC-SHA256 ')) {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ Message: 'Forbidden: the request must be signed with SigV4 (AuthType AWS_IAM)' }),
      );
      return;
    }
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? LOOPBACK}`);
    const body = Buffer.concat(chunks);
    const textual = /json|text|xml|x-www-form-urlencoded/.test(
      req.headers['content-type'] ?? 'application/json',
    );
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v ?? '')]),
    );
    const now = new Date();
    const event: LambdaFunctionURLEvent = {
      version: '2.0',
      routeKey: '$default',
      rawPath: url.pathname,
      rawQueryString: url.search.replace(/^\?/, ''),
      headers,
      queryStringParameters: url.search ? Object.fromEntries(url.searchParams) : undefined,
      requestContext: {
        accountId: options.account,
        apiId: 'local',
        domainName: headers.host ?? LOOPBACK,
        domainPrefix: 'local',
        http: {
          method: req.method ?? 'GET',
          path: url.pathname,
          protocol: `HTTP/${req.httpVersion}`,
          sourceIp: req.socket.remoteAddress ?? LOOPBACK,
          userAgent: headers['user-agent'] ?? '',
        },
        requestId: randomUUID(),
        ...(authorization.startsWith('AWS4-HMAC-SHA256 ')
          ? {
              authorizer: {
                iam: {
                  accessKey: /Credential=([^/]+)\//.exec(authorization)?.[1] ?? '',
                  accountId: options.account,
                  callerId: options.callerId,
                  userArn: `arn:aws:sts::${options.account}:assumed-role/local/local`,
                  userId: `${options.callerId}:local`,
                },
              },
            }
          : {}),
        routeKey: '$default',
        stage: '$default',
        time: now.toUTCString(),
        timeEpoch: now.getTime(),
      },
      body: body.length > 0 ? (textual ? body.toString('utf8') : body.toString('base64')) : undefined,
      isBase64Encoded: body.length > 0 && !textual,
    };
    const { result } = await fn.invoke(event);
    const r = (result ?? {}) as {
      statusCode?: number;
      headers?: Record<string, string>;
      body?: string;
      isBase64Encoded?: boolean;
    };
    if (typeof result === 'string' || r.statusCode === undefined) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(typeof result === 'string' ? result : JSON.stringify(result));
      return;
    }
    res.writeHead(r.statusCode, r.headers ?? {});
    res.end(r.body === undefined ? undefined : Buffer.from(r.body, r.isBase64Encoded ? 'base64' : 'utf8'));
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, LOOPBACK, resolve);
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://${LOOPBACK}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
