import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { VersionOverlay } from '#core/index/version-overlay.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import { type WriteRequest, writeAll } from '#functions/index/batch-requests.ts';
import { headItem, type Item, versionItem } from '#functions/index/entity-items.ts';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * Writes what an overlay recorded, in the order that lets a retry recompute the same writes: closed
 * versions (with `extra` items that are as idempotent), then heads, then `commit` (the cursor move, one
 * transaction), then the clean-up of tombstones and of `stale` ones earlier runs left behind.
 */
export async function persistOverlay(
  table: string,
  serverId: string,
  overlay: VersionOverlay,
  options: { extra?: Item[]; commit: TransactItem[]; stale?: Item[] },
): Promise<void> {
  const put = (Item: Item): WriteRequest => ({ PutRequest: { Item } });
  const heads = overlay.changedHeads();
  await writeAll(table, [
    ...overlay.versions.map((v) => put(versionItem(serverId, v))),
    ...(options.extra ?? []).map(put),
  ]);
  await writeAll(
    table,
    heads.map(({ mailboxId, key, head }) => put(headItem(serverId, mailboxId, key, head))),
  );
  if (options.commit.length > 0)
    await dynamodb().send(new TransactWriteCommand({ TransactItems: options.commit }));
  // Tombstones only had to outlive the run (a retry walks back through them); now they can go.
  const tombstones = heads
    .filter((h) => h.head.state === null)
    .map((h) => headItem(serverId, h.mailboxId, h.key, h.head));
  await writeAll(
    table,
    [...tombstones, ...(options.stale ?? [])].map((i) => ({
      DeleteRequest: { Key: { pk: i.pk as string, sk: i.sk as string } },
    })),
  );
}
