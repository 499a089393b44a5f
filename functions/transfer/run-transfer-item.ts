import type { Operation, WorkMessage } from '#core/operation.ts';
import {
  finishOperation,
  getOperation,
  type OperationsTable,
} from '#functions/operations/operations-store.ts';
import { type CountedResult, runCountedItem } from '#functions/operations/run-counted-item.ts';
import { getJson, putJson } from '#functions/restore/operation-objects.ts';
import { finalizeExport } from '#functions/transfer/finalize-export.ts';
import { finalizeImport } from '#functions/transfer/finalize-import.ts';
import { type BlobCopy, exportBodies, importBodies } from '#functions/transfer/transfer-bodies.ts';
import {
  type TransferPlan,
  type TransferResult,
  type TransferWork,
  transferObject,
} from '#functions/transfer/transfer-plan.ts';

export interface TransferTarget extends OperationsTable {
  readonly backupBucket: string;
  /** Where an export finds the bodies' locations. */
  readonly indexTable: string;
  readonly ingestQueueUrl: string;
  readonly operationRetentionDays: number;
  /** Copies running at once within one work item. */
  readonly concurrency?: number;
}

/**
 * One share of an export or import: copies its blobs (an export from this deployment's store to the
 * destination, an import from the export into this deployment's store), each checked on the way. The last
 * share finalizes: an export writes its mailboxes, directory and manifest; an import provisions the
 * directory and announces the mailboxes to the indexer.
 */
export async function runTransferItem(target: TransferTarget, item: WorkMessage): Promise<CountedResult> {
  return runCountedItem(
    target,
    item,
    (op) => copyShare(target, op, item.index),
    async (op) => {
      const plan = await getJson<TransferPlan>(target.backupBucket, transferObject.plan(op.id));
      const results: TransferResult[] = [];
      for (let i = 0; i < plan.workItems; i++)
        results.push(await getJson<TransferResult>(target.backupBucket, transferObject.result(op.id, i)));
      const copies = results.flatMap((r) => r.copies);
      const result =
        plan.kind === 'export'
          ? await finalizeExport(target, op.id, plan, copies)
          : await finalizeImport(target, op.id, plan, copies);
      await finishOperation(target, op.id, 'succeeded', undefined, result);
    },
  );
}

async function copyShare(
  target: TransferTarget,
  op: Operation,
  index: number,
): Promise<Record<string, number> | undefined> {
  const plan = await getJson<TransferPlan>(target.backupBucket, transferObject.plan(op.id));
  const work = await getJson<TransferWork>(target.backupBucket, transferObject.work(op.id, index));
  const stopped = async () => (await getOperation(target, op.id)).state === 'stopped';
  const concurrency = target.concurrency ?? 8;
  let copies: BlobCopy[] | undefined;
  if (plan.kind === 'export')
    copies = await exportBodies(
      { bucket: target.backupBucket, table: target.indexTable },
      plan.destination,
      work.blobs,
      { concurrency, stopped },
    );
  else
    copies = await importBodies(
      { bucket: target.backupBucket, table: target.indexTable },
      { ...plan.source, codec: 'zstd' },
      work.blobs,
      { concurrency, stopped },
    );
  if (!copies) return undefined;
  copies.sort((a, b) => a.sha256.localeCompare(b.sha256));
  await putJson(target.backupBucket, transferObject.result(op.id, index), {
    copies,
  } satisfies TransferResult);
  const copied = copies.filter((c) => c.state === 'copied');
  return {
    blobs: copies.length,
    blobsCopied: copied.length,
    bytesCopied: copied.reduce((sum, c) => sum + (c.state === 'copied' ? c.storedSize : 0), 0),
    blobsFailed: copies.filter((c) => c.state === 'failed').length,
  };
}
