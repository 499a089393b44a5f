import { accountDir, messageFile, type UnrestoredItem } from '#core/restore/bundle-manifest.ts';
import { getJson, operationObject, putBytes, putJson } from '#functions/restore/operation-objects.ts';
import type { WorkFile, WorkResult } from '#functions/restore/restore-plan.ts';
import { readBodies } from '#functions/storage/body-store.ts';

export interface ChunkTarget {
  readonly backupBucket: string;
  /** Where bodies are located (and a missing one may be recorded as quarantined). */
  readonly indexTable: string;
  /** Copies running at once within one work item. */
  readonly concurrency?: number;
}

/** Asked between messages; true stops the chunk (the operation was stopped). */
export type StopCheck = () => Promise<boolean>;

/**
 * Copies one work item's messages and document revisions from the body store into the bundle, each checked against the SHA-256
 * the index recorded. A message whose blob is missing, unreadable or different is recorded as unrestored
 * with the reason, and the others go on; other failures (throttling, network) throw so that the work item
 * is retried. Returns undefined if the operation was stopped meanwhile (nothing is counted then).
 */
export async function restoreChunk(
  target: ChunkTarget,
  operationId: string,
  index: number,
  stopped: StopCheck,
): Promise<WorkResult | undefined> {
  const work = await getJson<WorkFile>(target.backupBucket, operationObject.work(operationId, index));
  const result: WorkResult = { account: work.account, restored: 0, bytes: 0, unrestored: [] };
  const bySha = new Map<string, WorkFile['messages'][number][]>();
  for (const message of work.messages) {
    if (!/^[0-9a-f]{64}$/.test(message.sha256)) {
      result.unrestored.push(
        unrestored(
          message,
          'broken-item',
          'the index has no body for this item (its content was never shipped)',
        ),
      );
      continue;
    }
    bySha.set(message.sha256, [...(bySha.get(message.sha256) ?? []), message]);
  }
  // Bounded by the item's recorded size (with room for a size the server recorded loosely): a body cannot
  // be a decompression bomb, nor an object far larger than its item.
  const wants = [...bySha].map(([sha256, messages]) => ({
    sha256,
    maxSize: Math.max(2 * Math.max(...messages.map((m) => m.size)), 1024 * 1024),
  }));
  const halted = await readBodies(
    { bucket: target.backupBucket, table: target.indexTable },
    wants,
    async (sha256, body) => {
      for (const message of bySha.get(sha256) ?? []) {
        if (!Buffer.isBuffer(body)) {
          result.unrestored.push(unrestored(message, body.reason, body.detail));
          continue;
        }
        await putBytes(
          target.backupBucket,
          operationObject.bundle(
            operationId,
            `${accountDir(work.account)}/${message.file ?? messageFile(message.id)}`,
          ),
          body,
          message.file === undefined ? 'message/rfc822' : 'application/octet-stream',
        );
        result.restored++;
        result.bytes += body.length;
      }
    },
    { concurrency: target.concurrency ?? 8, stopped },
  );
  if (halted) return undefined;
  result.unrestored.sort((a, b) => a.id - b.id);
  await putJson(target.backupBucket, operationObject.result(operationId, index), result);
  return result;
}

function unrestored(
  message: WorkFile['messages'][number],
  reason: UnrestoredItem['reason'],
  detail: string,
): UnrestoredItem {
  return {
    id: message.id,
    ...(message.file === undefined ? { kind: 'message' } : { kind: 'document', file: message.file }),
    reason,
    detail,
  };
}
