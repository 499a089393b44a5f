import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { Item } from '#core/index/entity-items.ts';
import { entityWrites } from '#core/index/entity-writes.ts';
import { storedKey } from '#core/index/stored-key.ts';
import type { VersionOverlay } from '#core/index/version-overlay.ts';
import { indexKeys, keyPrefixes } from '#core/index-keys.ts';
import { parseOrThrow } from '#core/validation.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import { type WriteRequest, writeAll } from '#functions/index/batch-requests.ts';
import { queryAll } from '#functions/query/query-all.ts';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * Writes what an overlay recorded (its items as `entityWrites` lays them out), in the order that lets a retry
 * recompute the same writes: closed versions and conversation joins (with `extra` items that are as
 * idempotent), then heads, then `commit` (the cursor move, one transaction), then the clean-up of tombstones
 * and of `stale` ones earlier runs left behind.
 */
export async function persistOverlay(
  table: string,
  serverId: string,
  overlay: VersionOverlay,
  options: {
    extra?: Item[];
    commit: TransactItem[];
    stale?: Item[];
    /**
     * The redo position `commit` moves the cursor to: the tombstones to delete are listed under it first, so
     * a crash between the commit and their deletion leaves a list the next run finishes (finishCleanups).
     */
    cleanupAt?: string;
  },
): Promise<void> {
  const put = (Item: Item): WriteRequest => ({ PutRequest: { Item } });
  const { versions, heads, tombstones } = entityWrites(serverId, overlay);
  const cleanups =
    options.cleanupAt === undefined ? [] : cleanupItems(serverId, options.cleanupAt, tombstones);
  await writeAll(table, [
    ...versions.map(put),
    // Before the heads that name the conversations: whoever looks for a conversation's messages finds them.
    ...overlay.conversationJoins.map(({ mailboxId, convId, messageId }) =>
      put({
        pk: indexKeys.mailbox(serverId, mailboxId),
        sk: indexKeys.conversationMember(convId, messageId),
      }),
    ),
    ...(options.extra ?? []).map(put),
    ...cleanups.map(put),
  ]);
  await writeAll(table, heads.map(put));
  if (options.commit.length > 0)
    await dynamodb().send(new TransactWriteCommand({ TransactItems: options.commit }));
  // Tombstones only had to outlive the run (a retry walks back through them); now they can go.
  await writeAll(table, [...tombstones, ...(options.stale ?? [])].map(deleteRequest));
  await writeAll(table, cleanups.map(deleteRequest));
}

const deleteRequest = (i: Item): WriteRequest => ({
  DeleteRequest: { Key: storedKey(i) },
});

/** Keys of tombstones a commit at `position` leaves to delete, in items of a bounded size. */
function cleanupItems(serverId: string, position: string, tombstones: Item[]): Item[] {
  const PER_ITEM = 1000;
  const items: Item[] = [];
  for (let part = 0; part * PER_ITEM < tombstones.length; part++)
    items.push({
      pk: indexKeys.server(serverId),
      sk: indexKeys.cleanup(position, part),
      position,
      keys: tombstones.slice(part * PER_ITEM, (part + 1) * PER_ITEM).map((t) => [t.pk, t.sk]),
    });
  return items;
}

const cleanupSchema = z.looseObject({
  position: z.string(),
  keys: z.array(z.tuple([z.string(), z.string()])),
});

/**
 * Finishes the tombstone deletions of committed runs that a crash cut short (their position is at or before
 * the cursor); lists of runs not committed yet are left to their retry, which walks back through them.
 */
export async function finishCleanups(table: string, serverId: string, cursorPosition: string): Promise<void> {
  const { items } = await queryAll({
    TableName: table,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': indexKeys.server(serverId), ':prefix': keyPrefixes.cleanup },
    ConsistentRead: true,
  });
  for (const item of items) {
    const cleanup = parseOrThrow(cleanupSchema, item, `clean-up item ${String(item.sk)}`);
    if (cleanup.position > cursorPosition) continue;
    const keys = cleanup.keys.map(([pk, sk]) => ({ pk, sk }));
    await writeAll(table, keys.map(deleteRequest));
    await writeAll(table, [deleteRequest(item)]);
  }
}
