import { createHash } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { WorkMessage } from '#core/operation.ts';
import { s3 } from '#functions/clients/s3.ts';
import {
  countWorkItem,
  finishOperation,
  getOperation,
  type OperationsTable,
} from '#functions/operations/operations-store.ts';

export interface WorkTarget extends OperationsTable {
  readonly backupBucket: string;
  readonly operationRetentionDays: number;
}

export type WorkResult = 'done' | 'finalized' | 'duplicate' | 'stopped';

/**
 * Runs one work item. At this stage the only available kind is selftest: each item writes a small report into
 * the operation's prefix, proving the worker can reach its bucket prefix and tables. The worker whose count
 * completes the operation finalizes it.
 */
export async function runWorkItem(target: WorkTarget, item: WorkMessage): Promise<WorkResult> {
  const op = await getOperation(target, item.operationId);
  if (op.state === 'stopped' || op.state === 'failed') return 'stopped';
  const body = JSON.stringify({ operationId: op.id, kind: op.kind, index: item.index, total: item.total });
  const sha256 = createHash('sha256').update(body).digest('hex');
  await s3().send(
    new PutObjectCommand({
      Bucket: target.backupBucket,
      Key: `operations/${op.id}/selftest/${String(item.index).padStart(6, '0')}.json`,
      Body: body,
      ContentType: 'application/json',
      Metadata: { sha256, codec: 'none' },
    }),
  );
  const counters = await countWorkItem(target, op.id, item.index, 'done');
  if (!counters) return 'duplicate';
  if (counters.done + counters.failed < item.total) return 'done';
  await finishOperation(target, op.id, counters.failed > 0 ? 'failed' : 'succeeded');
  return 'finalized';
}
