import type { Operation, WorkMessage } from '#core/operation.ts';
import { countWorkItem, getOperation, type OperationsTable } from '#functions/operations/operations-store.ts';

export type CountedResult = 'done' | 'finalized' | 'duplicate' | 'stopped';

/**
 * The shape every fanned-out share has: skip a finished operation, run the share, count it once (with its
 * progress counters), and let the share that completes the count finalize the operation. A redelivered share
 * that finds every share counted but the operation still running finalizes again (the first finalizer may
 * have crashed), so finalizing must be idempotent.
 */
export async function runCountedItem(
  target: OperationsTable,
  item: WorkMessage,
  run: (op: Operation) => Promise<Record<string, number> | undefined>,
  finalize: (op: Operation) => Promise<void>,
): Promise<CountedResult> {
  const op = await getOperation(target, item.operationId);
  if (op.state !== 'running' && op.state !== 'queued')
    return op.state === 'succeeded' ? 'duplicate' : 'stopped';
  const progress = await run(op);
  if (!progress) return 'stopped';
  const counters = await countWorkItem(target, op.id, item.index, 'done', progress);
  if (!counters) {
    const now = await getOperation(target, op.id);
    if (now.state !== 'running' || now.done + now.failed < now.total) return 'duplicate';
    await finalize(now);
    return 'finalized';
  }
  if (counters.done + counters.failed < item.total) return 'done';
  await finalize(op);
  return 'finalized';
}
