import type { Operation, WorkMessage } from '#core/operation.ts';
import type { PurgePlan } from '#core/retention/purge-request.ts';
import {
  countWorkItem,
  finishOperation,
  getOperation,
  type OperationsTable,
} from '#functions/operations/operations-store.ts';
import { getJson, putJson } from '#functions/restore/operation-objects.ts';
import { purgePlanKey } from '#functions/retention/plan-purge.ts';
import { type PurgeTarget, purgeMailbox } from '#functions/retention/purge-mailbox.ts';
import { sweepBlobs } from '#functions/retention/sweep-blobs.ts';

export interface PurgeWorkTarget extends OperationsTable, PurgeTarget {
  readonly operationRetentionDays: number;
}

export const purgeReportKey = (operationId: string) => `operations/${operationId}/purge/report.json`;

/**
 * One mailbox of a purge, counted once; the share that completes the operation sweeps the blobs and writes
 * the report. A redelivered share after every share was counted (the sweeper crashed) sweeps again: the
 * sweep is idempotent.
 */
export async function runPurgeItem(
  target: PurgeWorkTarget,
  item: WorkMessage,
): Promise<'done' | 'finalized' | 'duplicate' | 'stopped'> {
  const op = await getOperation(target, item.operationId);
  if (op.state !== 'running' && op.state !== 'queued')
    return op.state === 'succeeded' ? 'duplicate' : 'stopped';
  const plan = await getJson<PurgePlan>(target.backupBucket, purgePlanKey(op.id));
  const entry = plan.entries[item.index];
  if (!entry) throw new RangeError(`purge ${op.id} has no mailbox ${item.index} in its plan`);
  const progress = await purgeMailbox(target, plan, entry, item.index);
  const counters = await countWorkItem(target, op.id, item.index, 'done', progress);
  if (!counters) {
    const now = await getOperation(target, op.id);
    if (now.state !== 'running' || now.done + now.failed < now.total) return 'duplicate';
    await finalize(target, now, plan);
    return 'finalized';
  }
  if (counters.done + counters.failed < item.total) return 'done';
  await finalize(target, op, plan);
  return 'finalized';
}

async function finalize(target: PurgeWorkTarget, op: Operation, plan: PurgePlan): Promise<void> {
  const sweep = await sweepBlobs(target, op.id, plan.dryRun);
  const counted = (await getOperation(target, op.id)).progress ?? {};
  const totals = { ...counted, ...sweep };
  await putJson(target.backupBucket, purgeReportKey(op.id), {
    operationId: op.id,
    dryRun: plan.dryRun,
    asOf: new Date(plan.asOf).toISOString(),
    totals,
    mailboxes: plan.entries.map((e) => ({
      ...e,
      ...(e.cutoff !== undefined ? { cutoff: new Date(e.cutoff).toISOString() } : {}),
    })),
  });
  await finishOperation(target, op.id, 'succeeded', undefined, {
    report: purgeReportKey(op.id),
    dryRun: plan.dryRun,
    ...totals,
  });
}
