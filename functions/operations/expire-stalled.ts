import type { Operation } from '#core/operation.ts';
import {
  finishOperation,
  listOperations,
  type OperationsTable,
} from '#functions/operations/operations-store.ts';

export interface StallTarget extends OperationsTable {
  readonly operationRetentionDays: number;
  /** A running operation nothing touched for this long is presumed lost. */
  readonly operationStallHours: number;
}

/** Whether a running operation has shown no sign of life for the stall limit. */
export function isStalled(op: Operation, stallHours: number, now = Date.now()): boolean {
  return op.state === 'running' && Date.parse(op.updatedAt) < now - stallHours * 3_600_000;
}

/**
 * Ends as failed every running operation nothing has touched for `operationStallHours` (no work item
 * counted, no agent heartbeat): a function or an agent stopped without reporting, and an exclusive kind
 * would otherwise wait behind it forever. One touched meanwhile is left alone (the update is conditional).
 */
export async function expireStalled(target: StallTarget, now = Date.now()): Promise<Operation[]> {
  const expired: Operation[] = [];
  for (const op of await listOperations(target, 'running', 200)) {
    if (!isStalled(op, target.operationStallHours, now)) continue;
    const reason = `no progress for ${target.operationStallHours} h (last at ${op.updatedAt}): presumed lost, as a function or an agent stopped without reporting; start it again`;
    if (await finishOperation(target, op.id, 'failed', reason, undefined, op.updatedAt)) expired.push(op);
  }
  return expired;
}
