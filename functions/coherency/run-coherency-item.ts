import { randomBytes } from 'node:crypto';
import {
  type CoherencyPlan,
  coherencyItems,
  coherencyParamsSchema,
  type Finding,
} from '#core/coherency/coherency-request.ts';
import type { Operation, WorkMessage } from '#core/operation.ts';
import { operationObjectKeys } from '#core/storage/operation-keys.ts';
import { parseOrThrow } from '#core/validation.ts';
import { type CheckTarget, checkItem } from '#functions/coherency/check-item.ts';
import { finishOperation, type OperationsTable } from '#functions/operations/operations-store.ts';
import { type CountedResult, runCountedItem } from '#functions/operations/run-counted-item.ts';
import { listServers } from '#functions/query/resolve-account.ts';
import { getJson, putJson, readJsonArrays } from '#functions/restore/operation-objects.ts';

export interface CoherencyTarget extends OperationsTable, CheckTarget {
  readonly operationRetentionDays: number;
}

const planKey = operationObjectKeys.coherency.plan;
const findingsPrefix = operationObjectKeys.coherency.findings;
export const coherencyReportKey = operationObjectKeys.coherency.report;

/** The planner's part: one share per server, sixteen for the blob store, sixteen for the references. */
export async function planCoherency(target: CoherencyTarget, op: Operation): Promise<number> {
  const params = parseOrThrow(coherencyParamsSchema, op.params, `parameters of coherency check ${op.id}`);
  const servers = params.servers ?? (await listServers(target.indexTable));
  const plan: CoherencyPlan = {
    operationId: op.id,
    params,
    at: Date.parse(op.createdAt),
    items: coherencyItems(servers),
  };
  await putJson(target.backupBucket, planKey(op.id), plan);
  return plan.items.length;
}

/** One share, counted once; the last writes the report and ends the operation (failed if damage is left). */
export async function runCoherencyItem(target: CoherencyTarget, item: WorkMessage): Promise<CountedResult> {
  return runCountedItem(
    target,
    item,
    async (op) => {
      const plan = await getJson<CoherencyPlan>(target.backupBucket, planKey(op.id));
      const share = plan.items[item.index];
      if (!share) throw new RangeError(`coherency check ${op.id} has no share ${item.index}`);
      const { findings, objectsChecked } = await checkItem(target, plan, share);
      // Each attempt its own file: a retry after a fix moved objects finds less, and loses nothing found.
      if (findings.length > 0)
        await putJson(
          target.backupBucket,
          `${findingsPrefix(op.id)}${String(item.index).padStart(6, '0')}-${randomBytes(4).toString('hex')}.json`,
          findings,
        );
      const count = (problem: Finding['problem']) => findings.filter((f) => f.problem === problem).length;
      return {
        objectsChecked,
        missing: count('missing'),
        corrupt: count('corrupt') + count('size-mismatch'),
        orphans: count('orphan'),
        quarantined: findings.filter((f) => f.quarantinedAs).length,
      };
    },
    (op) => finalize(target, op),
  );
}

async function finalize(target: CoherencyTarget, op: Operation): Promise<void> {
  const findings = new Map<string, Finding>();
  for (const f of await readJsonArrays<Finding>(target.backupBucket, findingsPrefix(op.id)))
    findings.set(`${f.problem} ${f.key}`, { ...findings.get(`${f.problem} ${f.key}`), ...f });
  const all = [...findings.values()].sort((a, b) => a.key.localeCompare(b.key));
  const left = all.filter((f) => !f.quarantinedAs);
  const totals = {
    problems: all.length,
    missing: all.filter((f) => f.problem === 'missing').length,
    corrupt: all.filter((f) => f.problem === 'corrupt' || f.problem === 'size-mismatch').length,
    orphans: all.filter((f) => f.problem === 'orphan').length,
    quarantined: all.length - left.length,
  };
  await putJson(target.backupBucket, coherencyReportKey(op.id), {
    operationId: op.id,
    totals,
    findings: all,
  });
  await finishOperation(
    target,
    op.id,
    left.length > 0 ? 'failed' : 'succeeded',
    left.length > 0
      ? `${left.length} problems left (${left
          .slice(0, 3)
          .map((f) => `${f.problem} ${f.key}`)
          .join('; ')}${left.length > 3 ? '; …' : ''}); the report lists them all`
      : undefined,
    { report: coherencyReportKey(op.id), ...totals },
  );
}
