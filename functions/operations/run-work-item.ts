import { type Operation, selftestParamsSchema, type WorkMessage } from '#core/operation.ts';
import { operationObjectKeys } from '#core/storage/operation-keys.ts';
import { parseOrThrow } from '#core/validation.ts';
import { finalizeDrill } from '#functions/drill/finalize-drill.ts';
import { verifyChunk } from '#functions/drill/verify-chunk.ts';
import { SelftestFailure } from '#functions/errors.ts';
import {
  finishOperation,
  getOperation,
  type OperationsTable,
} from '#functions/operations/operations-store.ts';
import { type CountedResult, runCountedItem } from '#functions/operations/run-counted-item.ts';
import { finalizeRestore } from '#functions/restore/finalize-restore.ts';
import { putJson } from '#functions/restore/operation-objects.ts';
import { restoreChunk } from '#functions/restore/restore-chunk.ts';

export interface WorkTarget extends OperationsTable {
  readonly backupBucket: string;
  readonly indexTable: string;
  readonly operationRetentionDays: number;
  /** What drills sign their attestations with (see `attestationSigner`). */
  readonly drillSigningKey: string;
}

export type WorkResult = CountedResult;

/** Runs one work item (a restore or drill chunk, a selftest item); the last one finalizes the operation. */
export async function runWorkItem(target: WorkTarget, item: WorkMessage): Promise<WorkResult> {
  return runCountedItem(
    target,
    item,
    (op) => runItem(target, op, item),
    async (op) => finalize(target, op, (await getOperation(target, op.id)).failed),
  );
}

/** The item's own work; its progress counters, or undefined if the operation was stopped meanwhile. */
async function runItem(
  target: WorkTarget,
  op: Operation,
  item: WorkMessage,
): Promise<Record<string, number> | undefined> {
  if (op.kind === 'restore' || op.kind === 'drill') {
    const stopped = async () => (await getOperation(target, op.id)).state === 'stopped';
    const result = await restoreChunk(target, op.id, item.index, stopped);
    if (!result) return undefined;
    const counters = { messages: result.restored, bytes: result.bytes, unrestored: result.unrestored.length };
    if (op.kind === 'restore') return counters;
    // A drill reads back what it wrote, as a restore into a server would.
    const verified = await verifyChunk(target, op.id, item.index, result);
    return { ...counters, verified: verified.bodies, mismatches: verified.mismatches.length };
  }
  // selftest: each item writes a small report into the operation's prefix, proving the worker can reach it.
  const { failItems } = parseOrThrow(selftestParamsSchema, op.params, `parameters of selftest ${op.id}`);
  if (failItems.includes(item.index))
    throw new SelftestFailure(`selftest ${op.id}: work item ${item.index} fails on purpose (failItems)`);
  await putJson(target.backupBucket, operationObjectKeys.selftest(op.id, item.index), {
    operationId: op.id,
    kind: op.kind,
    index: item.index,
    total: item.total,
  });
  return {};
}

async function finalize(target: WorkTarget, op: Operation, failed: number): Promise<void> {
  if (op.kind === 'drill') {
    const { attestation, key } = await finalizeDrill(target, { ...op, failed });
    await finishOperation(
      target,
      op.id,
      attestation.outcome === 'passed' ? 'succeeded' : 'failed',
      attestation.reason,
      {
        attestation: key,
        outcome: attestation.outcome,
        bundle: attestation.bundle.manifest,
        ...attestation.totals,
      },
    );
    return;
  }
  if (op.kind !== 'restore') {
    await finishOperation(target, op.id, failed > 0 ? 'failed' : 'succeeded');
    return;
  }
  const { manifestKey, sha256, report } = await finalizeRestore(target.backupBucket, op.id);
  await finishOperation(target, op.id, 'succeeded', undefined, {
    bundle: manifestKey,
    sha256,
    report: operationObjectKeys.report(op.id),
    ...report.totals,
  });
}
