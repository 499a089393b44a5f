import { z } from 'zod';
import { operationKeys } from '#core/index-keys.ts';
import { type AgentKind, agentParamsSchemas, type Dispatch } from '#core/operation.ts';
import { parseOrThrow } from '#core/validation.ts';

// An agent operation's share for one server, in the operations table: written by the planner, listed and
// claimed by the server's agent, deleted when it reports. Read back only through `dispatchOf`.

const agentKinds = Object.keys(agentParamsSchemas) as [AgentKind, ...AgentKind[]];

const dispatchItemSchema = z.looseObject({
  pk: z.string(),
  sk: z.string(),
  type: z.literal('dispatch'),
  operationId: z.string(),
  kind: z.enum(agentKinds),
  serverId: z.string(),
  params: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  /** Which share of the operation (its work-item index). */
  index: z.number(),
  dispatchState: z.enum(['pending', 'claimed']),
  claimedAt: z.string().optional(),
  expiresAt: z.number(),
});

export type DispatchItem = z.output<typeof dispatchItemSchema>;

/** The item of a new, unclaimed dispatch. */
export function dispatchItem(d: {
  serverId: string;
  operationId: string;
  kind: AgentKind;
  params: Record<string, unknown>;
  createdAt: string;
  index: number;
  expiresAt: number;
}): DispatchItem {
  return {
    ...operationKeys.dispatch(d.serverId, d.createdAt, d.operationId),
    type: 'dispatch',
    operationId: d.operationId,
    kind: d.kind,
    serverId: d.serverId,
    params: d.params,
    createdAt: d.createdAt,
    index: d.index,
    dispatchState: 'pending',
    expiresAt: d.expiresAt,
  };
}

/** A dispatch item as read from the table, checked. */
export function dispatchItemOf(item: Record<string, unknown>): DispatchItem {
  return parseOrThrow(dispatchItemSchema, item, `dispatch item ${String(item.pk)} ${String(item.sk)}`);
}

/** What the agent sees of a dispatch item. */
export function dispatchOf(item: Record<string, unknown>): Dispatch {
  const d = dispatchItemOf(item);
  return {
    operationId: d.operationId,
    kind: d.kind,
    serverId: d.serverId,
    params: d.params,
    createdAt: d.createdAt,
    state: d.dispatchState,
    ...(d.claimedAt !== undefined ? { claimedAt: d.claimedAt } : {}),
  };
}
