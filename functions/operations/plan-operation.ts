import { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { ValidationError } from '#core/errors.ts';
import {
  isAgentKind,
  OPERATION_KINDS,
  type Operation,
  type OperationKind,
  selftestParamsSchema,
  type WorkMessage,
} from '#core/operation.ts';
import { restoreParamsSchema } from '#core/restore/restore-request.ts';
import { exportParamsSchema, importParamsSchema } from '#core/transfer/transfer-request.ts';
import { parseOrThrow } from '#core/validation.ts';
import { sqs } from '#functions/clients/sqs.ts';
import { planCoherency } from '#functions/coherency/run-coherency-item.ts';
import { planDrill } from '#functions/drill/plan-drill.ts';
import { dispatchToAgents } from '#functions/operations/agent-dispatch.ts';
import { expireStalled, isStalled, type StallTarget } from '#functions/operations/expire-stalled.ts';
import {
  finishOperation,
  getOperation,
  listOperations,
  startOperation,
} from '#functions/operations/operations-store.ts';
import { planReindex } from '#functions/operations/plan-reindex.ts';
import { finishWhenAllReported } from '#functions/operations/server-share.ts';
import { planRestore } from '#functions/restore/plan-restore.ts';
import { planLegalHold } from '#functions/retention/plan-legal-hold.ts';
import { planPurge } from '#functions/retention/plan-purge.ts';
import { planExport } from '#functions/transfer/plan-export.ts';
import { planImport } from '#functions/transfer/plan-import.ts';

export interface PlanTarget extends StallTarget {
  readonly workQueueUrl: string;
  readonly indexTable: string;
  readonly backupBucket: string;
  /** Purge and coherency shares go to their own queues: only their functions may delete. */
  readonly purgeQueueUrl: string;
  readonly auditQueueUrl: string;
  /** Export and import shares: their function copies between buckets and announces imports. */
  readonly transferQueueUrl: string;
  readonly transferBuckets: readonly string[];
  /** A plan that must wait (an exclusive kind already running) is put back here, delayed. */
  readonly planQueueUrl: string;
  /** A reindex's shares go to the servers' ingest groups. */
  readonly ingestQueueUrl: string;
  /** Without Object Lock a legal hold has no S3 flags to set: the index alone keeps it. */
  readonly bucketObjectLock: boolean;
}

export type PlanResult =
  | { outcome: 'planned'; workItems: number }
  | { outcome: 'skipped' | 'rejected' | 'deferred'; reason: string };

/** Seconds a plan of an exclusive kind waits before it looks again whether the running one is done. */
const DEFER_SECONDS = 60;

/**
 * Turns a queued operation into work items on the work queue. A redelivered plan message finds the operation
 * no longer queued and does nothing; work items are sent before the state flips, so a crash in between only
 * causes a redelivery whose duplicates the worker's once-only counting absorbs. Planning is a function of the
 * operation record alone ("latest" means the moment it was created), so a re-plan writes the same plan.
 */
export async function planOperation(target: PlanTarget, operationId: string): Promise<PlanResult> {
  const op = await getOperation(target, operationId);
  if (op.state !== 'queued') return { outcome: 'skipped', reason: `operation is ${op.state}` };
  if (!OPERATION_KINDS[op.kind].available) {
    const reason = `operation kind "${op.kind}" (${OPERATION_KINDS[op.kind].summary}) is not available in this version of offsite`;
    await finishOperation(target, op.id, 'failed', reason);
    return { outcome: 'rejected', reason };
  }
  if (isAgentKind(op.kind)) return planForAgents(target, op);
  if ('exclusive' in OPERATION_KINDS[op.kind]) {
    let running = (await listOperations(target, 'running')).find((o) => o.kind === op.kind && o.id !== op.id);
    // One that stopped without a word would hold every later one back: it is failed as lost instead.
    if (running && isStalled(running, target.operationStallHours)) {
      await expireStalled(target);
      running = (await listOperations(target, 'running')).find((o) => o.kind === op.kind && o.id !== op.id);
    }
    if (running) {
      // One at a time: this one waits in the plan queue (and stays queued) until the running one ends.
      await sqs().send(
        new SendMessageCommand({
          QueueUrl: target.planQueueUrl,
          MessageBody: JSON.stringify({ operationId: op.id }),
          DelaySeconds: DEFER_SECONDS,
        }),
      );
      return { outcome: 'deferred', reason: `${op.kind} ${running.id} is running` };
    }
  }
  if (op.kind === 'reindex') {
    // The indexer does the work, in each server's ingest group, and reports each share.
    const shares = await planStep(target, op, () => planReindex(target, op));
    if (typeof shares !== 'number') return shares;
    await startOperation(target, op.id, shares);
    // A small server's share may have reported before the start set the total.
    await finishWhenAllReported(target, op.id);
    return { outcome: 'planned', workItems: shares };
  }
  if (op.kind === 'legal-hold' && !target.bucketObjectLock)
    return nothingToDo(target, op, {
      note: "the bucket has no Object Lock, so no S3 legal holds: the holds are kept by the index alone (a purge never takes a held account's history)",
    });
  const count = await planStep(target, op, () => workItemsOf(target, op));
  if (typeof count !== 'number') return count;
  if (count === 0)
    return nothingToDo(target, op, {
      note:
        op.kind === 'legal-hold'
          ? 'nothing to do: every object is flagged as the holds need'
          : op.kind === 'drill'
            ? 'nothing to drill: the index holds no live account yet'
            : 'nothing to do: no mailbox matched',
    });
  const items: WorkMessage[] = Array.from({ length: count }, (_, index) => ({
    operationId: op.id,
    index,
    total: count,
  }));
  for (let start = 0; start < items.length; start += 10) {
    const batch = items.slice(start, start + 10);
    const result = await sqs().send(
      new SendMessageBatchCommand({
        QueueUrl: queueOf(target, op.kind),
        Entries: batch.map((item) => ({ Id: String(item.index), MessageBody: JSON.stringify(item) })),
      }),
    );
    if (result.Failed && result.Failed.length > 0) {
      throw new Error(
        `work queue refused ${result.Failed.length} work items of operation ${op.id}: ${result.Failed[0]?.Message}`,
      );
    }
  }
  await startOperation(target, op.id, items.length);
  return { outcome: 'planned', workItems: items.length };
}

/** An agent operation: dispatches for the agents, then running (the agents' reports finish it). */
async function planForAgents(target: PlanTarget, op: Operation): Promise<PlanResult> {
  const count = await planStep(target, op, () => dispatchToAgents(target, op));
  if (typeof count !== 'number') return count;
  if (count === 0)
    return nothingToDo(target, op, { servers: {}, note: 'no server has shipped to this backup yet' });
  await startOperation(target, op.id, count);
  return { outcome: 'planned', workItems: count };
}

/** A planning step; a ValidationError (a mistake in the operation, not a fault) ends it as failed. */
async function planStep(
  target: PlanTarget,
  op: Operation,
  step: () => Promise<number>,
): Promise<number | PlanResult> {
  try {
    return await step();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    await finishOperation(target, op.id, 'failed', error.message);
    return { outcome: 'rejected', reason: error.message };
  }
}

/** An operation with nothing to fan out succeeds at once, saying why. */
async function nothingToDo(
  target: PlanTarget,
  op: Operation,
  result: Record<string, unknown>,
): Promise<PlanResult> {
  await finishOperation(target, op.id, 'succeeded', undefined, result);
  return { outcome: 'planned', workItems: 0 };
}

/** How many work items the operation needs (and, for a restore, its plan written to the bucket). */
async function workItemsOf(target: PlanTarget, op: Operation): Promise<number> {
  const what = `parameters of ${op.kind} operation ${op.id}`;
  if (op.kind === 'restore') {
    const params = parseOrThrow(restoreParamsSchema, op.params, what);
    return (await planRestore(target, op.id, params, Date.parse(op.createdAt))).workItems;
  }
  if (op.kind === 'export')
    return planExport(target, op.id, parseOrThrow(exportParamsSchema, op.params, what), op.createdAt);
  if (op.kind === 'import')
    return planImport(target, op.id, parseOrThrow(importParamsSchema, op.params, what));
  if (op.kind === 'purge') return planPurge(target, op);
  if (op.kind === 'legal-hold') return planLegalHold(target, op);
  if (op.kind === 'coherency') return planCoherency(target, op);
  if (op.kind === 'drill') return planDrill(target, op);
  return parseOrThrow(selftestParamsSchema, op.params, what).items;
}

/** Shares go to the queue of the function allowed to do them. */
function queueOf(target: PlanTarget, kind: OperationKind): string {
  switch (kind) {
    case 'purge':
    case 'legal-hold':
      return target.purgeQueueUrl;
    case 'coherency':
      return target.auditQueueUrl;
    case 'export':
    case 'import':
      return target.transferQueueUrl;
    default:
      return target.workQueueUrl;
  }
}
