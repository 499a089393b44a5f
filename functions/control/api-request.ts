import { ValidationError } from '#core/errors.ts';

/** A request to one of the HTTP APIs (control, agent), as the routes take it. */
export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string | undefined>>;
  readonly body: string | undefined;
}

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
}

export class RouteNotFoundError extends ValidationError {
  override readonly name = 'RouteNotFoundError';
}

/** The request body as JSON (empty: `{}`). */
export function parseBody(body: string | undefined): unknown {
  if (body === undefined || body === '') return {};
  try {
    return JSON.parse(body);
  } catch (cause) {
    throw new ValidationError('request body is not JSON', [], { cause });
  }
}
