import { type Operation, selftestParamsSchema, type WorkMessage } from '#core/operation.ts';
import { parseOrThrow } from '#core/validation.ts';
import { SelftestFailure } from '#functions/errors.ts';
import {
  countWorkItem,
  finishOperation,
  getOperation,
  type OperationsTable,
} from '#functions/operations/operations-store.ts';
import { finalizeRestore } from '#functions/restore/finalize-restore.ts';
import { putJson } from '#functions/restore/operation-objects.ts';
import { restoreChunk } from '#functions/restore/restore-chunk.ts';

export interface WorkTarget extends OperationsTable {
  readonly backupBucket: string;
  readonly operationRetentionDays: number;
}

export type WorkResult = 'done' | 'finalized' | 'duplicate' | 'stopped';

/**
 * Runs one work item and counts it once; the worker whose count completes the operation finalizes it. A
 * redelivered item that finds every item counted but the operation still running finalizes it again (the
 * first finalizer may have crashed): finalization is idempotent.
 */
export async function runWorkItem(target: WorkTarget, item: WorkMessage): Promise<WorkResult> {
  const op = await getOperation(target, item.operationId);
  if (op.state !== 'running' && op.state !== 'queued')
    return op.state === 'succeeded' ? 'duplicate' : 'stopped';
  const progress = await runItem(target, op, item);
  if (!progress) return 'stopped';
  const counters = await countWorkItem(target, op.id, item.index, 'done', progress);
  if (!counters) {
    const now = await getOperation(target, op.id);
    if (now.state !== 'running' || now.done + now.failed < now.total) return 'duplicate';
    await finalize(target, now, now.failed);
    return 'finalized';
  }
  if (counters.done + counters.failed < item.total) return 'done';
  await finalize(target, op, counters.failed);
  return 'finalized';
}

/** The item's own work; its progress counters, or undefined if the operation was stopped meanwhile. */
async function runItem(
  target: WorkTarget,
  op: Operation,
  item: WorkMessage,
): Promise<Record<string, number> | undefined> {
  if (op.kind === 'restore') {
    const stopped = async () => (await getOperation(target, op.id)).state === 'stopped';
    const result = await restoreChunk(target, op.id, item.index, stopped);
    return result && { messages: result.restored, bytes: result.bytes, unrestored: result.unrestored.length };
  }
  // selftest: each item writes a small report into the operation's prefix, proving the worker can reach it.
  const { failItems } = parseOrThrow(selftestParamsSchema, op.params, `parameters of selftest ${op.id}`);
  if (failItems.includes(item.index))
    throw new SelftestFailure(`selftest ${op.id}: work item ${item.index} fails on purpose (failItems)`);
  await putJson(
    target.backupBucket,
    `operations/${op.id}/selftest/${String(item.index).padStart(6, '0')}.json`,
    {
      operationId: op.id,
      kind: op.kind,
      index: item.index,
      total: item.total,
    },
  );
  return {};
}

async function finalize(target: WorkTarget, op: Operation, failed: number): Promise<void> {
  if (op.kind !== 'restore') {
    await finishOperation(target, op.id, failed > 0 ? 'failed' : 'succeeded');
    return;
  }
  const { manifestKey, sha256, report } = await finalizeRestore(target.backupBucket, op.id);
  await finishOperation(target, op.id, 'succeeded', undefined, {
    bundle: manifestKey,
    sha256,
    report: `operations/${op.id}/report.json`,
    ...report.totals,
  });
}
