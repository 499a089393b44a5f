import { planMessageSchema, workMessageSchema } from '#core/operation.ts';
import { finishOperation, type OperationsTable } from '#functions/operations/operations-store.ts';

export type SetAsideResult =
  | { outcome: 'failed' | 'already-finished'; operationId: string; reason: string }
  | { outcome: 'not-an-operation'; reason: string };

/**
 * A plan or work message the queue gave up on (it failed on every try and went to the dead-letter queue):
 * its operation can no longer finish by itself, so it ends as failed, saying which part and where to look.
 */
export async function setAside(
  target: OperationsTable & { operationRetentionDays: number },
  body: string,
  /** The dead-letter queue's ARN: which function's logs to read. */
  queueArn = '',
): Promise<SetAsideResult> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { outcome: 'not-an-operation', reason: 'the message is not JSON' };
  }
  const work = workMessageSchema.safeParse(json);
  const plan = planMessageSchema.safeParse(json);
  let operationId: string;
  let reason: string;
  if (work.success) {
    operationId = work.data.operationId;
    const [share, queue, fn] = /Purge/.test(queueArn)
      ? ['purge share', 'purge', 'purger']
      : /Audit/.test(queueArn)
        ? ['coherency share', 'audit', 'auditor']
        : /Transfer/.test(queueArn)
          ? ['transfer share', 'transfer', 'transfer function']
          : ['work item', 'work', 'worker'];
    reason = `${share} ${work.data.index + 1} of ${work.data.total} failed on every try and was set aside in the ${queue} dead-letter queue; the ${fn}'s logs say why`;
  } else if (plan.success) {
    operationId = plan.data.operationId;
    reason =
      "planning failed on every try and the plan was set aside in the plan dead-letter queue; the planner's logs say why";
  } else return { outcome: 'not-an-operation', reason: 'neither a plan nor a work message' };
  const finished = await finishOperation(target, operationId, 'failed', reason);
  return { outcome: finished ? 'failed' : 'already-finished', operationId, reason };
}
