import type { RouteName } from '#core/control-api.ts';
import type { ApiRequest, ApiResponse } from '#functions/control/api-request.ts';

/** What a route's handler is given: the function's configuration, the request, its path parameters. */
export interface RouteContext<C> {
  readonly config: C;
  readonly request: ApiRequest;
  readonly params: Readonly<Record<string, string>>;
  /** The body as JSON, parsed when asked ({} when empty). */
  readonly body: () => unknown;
  /** Who asked (the caller's ARN), for what routes record. */
  readonly by: string;
}

export type RouteHandler<C> = (context: RouteContext<C>) => Promise<ApiResponse>;

/** Handlers of some routes of CONTROL_ROUTES, by name. */
export type RouteHandlers<C> = Partial<Record<RouteName, RouteHandler<C>>>;

export const ok = (body: unknown): ApiResponse => ({ status: 200, body });
