import { TransactWriteCommand, type TransactWriteCommandInput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { inParallel } from '#core/in-parallel.ts';
import type { Item, StoredHead } from '#core/index/entity-items.ts';
import { entityWrites, type HeadDeletion } from '#core/index/entity-writes.ts';
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
 * idempotent, and the list of heads the run deletes), then heads (deleted entities' heads removed), then
 * `commit` (the cursor move, one transaction), then the clean-up of the list and of `stale` tombstones earlier
 * releases left behind.
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
     * The redo position `commit` moves the cursor to: the heads the run deletes are listed under it first,
     * so a retry after a crash before the commit finds the deleted entities (see `unfinishedDeletions`).
     * Without it (a scan, a directory dump) a retry finds them gone, which it reads as deleted already.
     */
    cleanupAt?: string;
  },
): Promise<void> {
  const put = (Item: Item): WriteRequest => ({ PutRequest: { Item } });
  const { versions, heads, deletions } = entityWrites(serverId, overlay, {
    tombstoneUnfinished: options.cleanupAt === undefined,
  });
  const cleanups =
    options.cleanupAt === undefined ? [] : cleanupItems(serverId, options.cleanupAt, deletions);
  await Promise.all([
    writeAll(table, [...versions.map(put), ...(options.extra ?? []).map(put), ...cleanups.map(put)]),
    // Before the heads that name the conversations: whoever looks for a conversation's messages finds them.
    addJoins(table, serverId, overlay.conversationJoins),
  ]);
  await writeAll(table, [...heads.map(put), ...deletions.map(deleteRequest)]);
  if (options.commit.length > 0)
    await dynamodb().send(new TransactWriteCommand({ TransactItems: options.commit }));
  await writeAll(table, [...(options.stale ?? []), ...cleanups].map(deleteRequest));
}

/**
 * Adds the messages that joined conversations to their conversations' span items: one write per span a
 * batch touches. Adding to a set is idempotent: a retry writes the same.
 */
async function addJoins(
  table: string,
  serverId: string,
  joins: readonly { mailboxId: number; convId: number; messageId: number }[],
): Promise<void> {
  const spans = new Map<string, { pk: string; sk: string; ids: Set<number> }>();
  for (const { mailboxId, convId, messageId } of joins) {
    const pk = indexKeys.mailbox(serverId, mailboxId);
    const sk = indexKeys.conversationSpan(convId, messageId);
    const span = spans.get(`${pk}\0${sk}`) ?? { pk, sk, ids: new Set<number>() };
    span.ids.add(messageId);
    spans.set(`${pk}\0${sk}`, span);
  }
  await inParallel([...spans.values()], 8, async ({ pk, sk, ids }) => {
    await dynamodb().send(
      new UpdateCommand({
        TableName: table,
        Key: { pk, sk },
        UpdateExpression: 'ADD #ms :ids',
        ExpressionAttributeNames: { '#ms': 'ms' },
        ExpressionAttributeValues: { ':ids': ids },
      }),
    );
  });
}

const deleteRequest = (i: { pk?: unknown; sk?: unknown }): WriteRequest => ({
  DeleteRequest: { Key: storedKey({ pk: i.pk, sk: i.sk }) },
});

/** The heads a commit at `position` deletes, listed in items of a bounded size. */
function cleanupItems(serverId: string, position: string, deletions: readonly HeadDeletion[]): Item[] {
  const PER_ITEM = 1000;
  const items: Item[] = [];
  for (let part = 0; part * PER_ITEM < deletions.length; part++)
    items.push({
      pk: indexKeys.server(serverId),
      sk: indexKeys.cleanup(position, part),
      position,
      deleted: deletions
        .slice(part * PER_ITEM, (part + 1) * PER_ITEM)
        .map(({ mailboxId, key, prevFrom, prevTo }) => ({
          m: mailboxId,
          k: key,
          ...(prevFrom !== null ? { pp: prevFrom } : {}),
          ...(prevTo !== null ? { pt: prevTo } : {}),
        })),
    });
  return items;
}

const cleanupSchema = z.looseObject({
  position: z.string(),
  /** Tombstones to delete, as releases before deleted heads wrote them. */
  keys: z.array(z.tuple([z.string(), z.string()])).optional(),
  deleted: z
    .array(z.object({ m: z.number(), k: z.string(), pp: z.string().optional(), pt: z.number().optional() }))
    .optional(),
});

/**
 * A head an uncommitted run deleted, as its tombstone would have read: deleted at the run's commit position,
 * the version before it the one the deletion closed (see `LoadScope.deleted`).
 */
export type DeletedHead = StoredHead;

/**
 * Lists of runs that a crash cut short. Those committed (their position at or before the cursor, `undefined`:
 * none is) are finished: tombstones an earlier release listed are deleted, then the list. Those not
 * committed are returned: the heads their run deleted, which its retry walks back from.
 */
export async function unfinishedDeletions(
  table: string,
  serverId: string,
  cursorPosition: string | undefined,
): Promise<DeletedHead[]> {
  const { items } = await queryAll({
    TableName: table,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': indexKeys.server(serverId), ':prefix': keyPrefixes.cleanup },
    ConsistentRead: true,
  });
  const pending: DeletedHead[] = [];
  for (const item of items) {
    const cleanup = parseOrThrow(cleanupSchema, item, `clean-up item ${String(item.sk)}`);
    if (cursorPosition === undefined || cleanup.position > cursorPosition) {
      pending.push(
        ...(cleanup.deleted ?? []).map(
          (d): DeletedHead => ({
            mailboxId: d.m,
            key: d.k,
            state: null,
            fromPos: cleanup.position,
            fromTime: 0,
            prevFrom: d.pp ?? null,
            prevTo: d.pt ?? null,
            op: '',
          }),
        ),
      );
      continue;
    }
    const keys = (cleanup.keys ?? []).map(([pk, sk]) => ({ pk, sk }));
    await writeAll(table, keys.map(deleteRequest));
    await writeAll(table, [deleteRequest(item)]);
  }
  return pending;
}
