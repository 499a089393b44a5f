import type { Operation, WorkMessage } from '#core/operation.ts';
import type { LegalHoldChunk } from '#core/retention/legal-hold-plan.ts';
import type { PurgePlan } from '#core/retention/purge-request.ts';
import { operationObjectKeys } from '#core/storage/operation-keys.ts';
import {
  finishOperation,
  getOperation,
  type OperationsTable,
} from '#functions/operations/operations-store.ts';
import { type CountedResult, runCountedItem } from '#functions/operations/run-counted-item.ts';
import { listServers } from '#functions/query/resolve-account.ts';
import { getJson, putJson } from '#functions/restore/operation-objects.ts';
import { holdObjects } from '#functions/retention/hold-objects.ts';
import { legalHoldChunkKey } from '#functions/retention/plan-legal-hold.ts';
import { purgePlanKey } from '#functions/retention/plan-purge.ts';
import { purgeBodyPacks } from '#functions/retention/purge-body-packs.ts';
import { noteLockedUntil } from '#functions/retention/purge-catalog-entry.ts';
import { type PurgeTarget, purgeMailbox } from '#functions/retention/purge-mailbox.ts';
import { purgeSegments } from '#functions/retention/purge-segments.ts';
import { repackPacks } from '#functions/retention/repack-packs.ts';
import { sweepBlobs } from '#functions/retention/sweep-blobs.ts';

export interface PurgeWorkTarget extends OperationsTable, PurgeTarget {
  readonly operationRetentionDays: number;
}

export const purgeReportKey = operationObjectKeys.purge.report;

/**
 * One mailbox of a purge (the share that completes the operation sweeps the blobs and writes the report), or
 * one set of objects of a legal-hold operation.
 */
export async function runPurgeItem(target: PurgeWorkTarget, item: WorkMessage): Promise<CountedResult> {
  return runCountedItem(
    target,
    item,
    async (op) => {
      if (op.kind === 'legal-hold') {
        const chunk = await getJson<LegalHoldChunk>(
          target.backupBucket,
          legalHoldChunkKey(op.id, item.index),
        );
        return { ...(await holdObjects(target, chunk)) };
      }
      const plan = await getJson<PurgePlan>(target.backupBucket, purgePlanKey(op.id));
      const entry = plan.entries[item.index];
      if (!entry) throw new RangeError(`purge ${op.id} has no mailbox ${item.index} in its plan`);
      return purgeMailbox(target, plan, entry, item.index);
    },
    async (op) => {
      if (op.kind !== 'legal-hold')
        return finalize(target, op, await getJson<PurgePlan>(target.backupBucket, purgePlanKey(op.id)));
      const counted = (await getOperation(target, op.id)).progress ?? {};
      await finishOperation(target, op.id, 'succeeded', undefined, counted);
    },
  );
}

async function finalize(target: PurgeWorkTarget, op: Operation, plan: PurgePlan): Promise<void> {
  const touched = new Set<string>();
  const sweep = await sweepBlobs(target, op.id, plan.dryRun, touched);
  const { damaged, ...repack } = await repackPacks(target, op.id, touched, plan.dryRun);
  const segments = await purgeSegments(target, plan);
  const { serverObjectsLocked, serverObjectsLockedUntil, ...bodyPacks } = await purgeBodyPacks(
    target,
    plan,
    await listServers(target.indexTable),
  );
  segments.serverObjectsLocked += serverObjectsLocked;
  if (serverObjectsLockedUntil) noteLockedUntil(segments, serverObjectsLockedUntil);
  const counted = (await getOperation(target, op.id)).progress ?? {};
  const totals = { ...counted, ...sweep, ...repack, ...bodyPacks, ...segments };
  await putJson(target.backupBucket, purgeReportKey(op.id), {
    operationId: op.id,
    dryRun: plan.dryRun,
    asOf: new Date(plan.asOf).toISOString(),
    totals,
    ...(damaged ? { damagedBodies: damaged } : {}),
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
