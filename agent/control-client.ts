import { Sha256 } from '@aws-crypto/sha256-js';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  CONTROL_ROUTES,
  type ControlAnswers,
  type QueryValue,
  type RouteName,
  type RouteParams,
  routePath,
} from '#core/control-api.ts';
import { OffsiteError } from '#core/errors.ts';

export class ControlApiError extends OffsiteError {
  override readonly name = 'ControlApiError';
  readonly status: number;
  constructor(message: string, status: number, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
  }
}

/**
 * How long a request may go unanswered: the API's functions end within 29 s, so this leaves room for a cold
 * start. Without it a connection that goes silent holds its caller for good (an agent's reports and
 * operation polls stop, and nothing says why).
 */
export const CONTROL_TIMEOUT_MS = 60_000;

/** Calls the control API (a Lambda function URL with AWS_IAM auth), signing each request with SigV4. */
export class ControlClient {
  private readonly baseUrl: URL;
  private readonly signer: SignatureV4;
  private readonly timeoutMs: number;

  constructor(options: {
    url: string;
    region: string;
    /** Fixed, or a provider (a daemon's role credentials are refreshed). */
    credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
    timeoutMs?: number;
  }) {
    this.baseUrl = new URL(options.url);
    this.timeoutMs = options.timeoutMs ?? CONTROL_TIMEOUT_MS;
    this.signer = new SignatureV4({
      service: 'lambda',
      region: options.region,
      credentials: options.credentials,
      sha256: Sha256,
    });
  }

  /** A route of the contract: its path from `params` and `query`, its answer typed. */
  call<N extends RouteName>(
    name: N,
    params: RouteParams<N>,
    options: { query?: Readonly<Record<string, QueryValue>>; body?: unknown } = {},
  ): Promise<ControlAnswers[N]> {
    return this.request<ControlAnswers[N]>(
      CONTROL_ROUTES[name].method,
      routePath(name, params, options.query),
      options.body,
    );
  }

  async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const url = new URL(path, this.baseUrl);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const signed = await this.signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { host: url.host, 'content-type': 'application/json' },
      body: payload,
    });
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers: signed.headers,
        body: payload,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      if ((error as { name?: string }).name !== 'TimeoutError') throw error;
      throw new ControlApiError(
        `control API ${method} ${url.pathname}: no answer within ${this.timeoutMs / 1000} s (is the control URL reachable?)`,
        0,
        { cause: error },
      );
    }
    const parsed = text ? (JSON.parse(text) as unknown) : undefined;
    if (!response.ok) {
      const message = (parsed as { message?: string } | undefined)?.message ?? text;
      throw new ControlApiError(
        `control API ${method} ${url.pathname}: ${response.status} ${message}`,
        response.status,
      );
    }
    return parsed as T;
  }
}
