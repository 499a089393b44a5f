import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { ItemState, MailboxRef } from '#core/control-api.ts';
import { headFromItem, type StoredHead, versionsOfItem } from '#core/index/entity-items.ts';
import { itemKey } from '#core/index/index-entity.ts';
import type { EntityVersion } from '#core/index/version-overlay.ts';
import { entityKeys } from '#core/index-keys.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import { versionsEndedIn } from '#functions/query/versions-ended.ts';

/** Every state one item had, oldest first, with the ops that began and ended each. */
export async function itemHistory(table: string, ref: MailboxRef, itemId: number): Promise<ItemState[]> {
  const key = itemKey(itemId);
  const keys = entityKeys(ref.serverId, ref.mailboxId, key);
  const get = async (sk: string) =>
    (await dynamodb().send(new GetCommand({ TableName: table, Key: { pk: keys.pk, sk } }))).Item;
  const found = await get(keys.head);
  const head = found ? headFromItem(found) : undefined;
  // Where the chain is not whole, the versions are found by key, and those riding in the head are added.
  const versions =
    (head && (await chainOf(head, keys.version, get))) ??
    [...(head?.riders ?? []), ...(await versionsOf(table, ref, key))].sort((a, b) => a.toTime - b.toTime);
  const out: ItemState[] = versions.map((v) => ({
    from: new Date(v.fromTime).toISOString(),
    to: new Date(v.toTime).toISOString(),
    op: v.op,
    endedBy: v.endedBy,
    state: { ...v.state },
  }));
  if (head?.state)
    out.push({ from: new Date(head.fromTime).toISOString(), op: head.op, state: { ...head.state } });
  return out;
}

/**
 * The versions before a head, oldest first, by its chain (each knows where the one before it is keyed); undefined
 * where the chain is not whole (a retention purge took its start, or it was stored without the ends).
 */
async function chainOf(
  head: StoredHead,
  versionKey: (toTime: number, fromPos: string) => string,
  get: (sk: string) => Promise<Record<string, unknown> | undefined>,
): Promise<EntityVersion[] | undefined> {
  const chain: EntityVersion[] = [];
  // Riders come with the item that carries them; the chain goes on in items of their own.
  let carried = head.riders ?? [];
  for (let prev = { from: head.prevFrom, to: head.prevTo }; prev.from !== null; ) {
    let version: EntityVersion;
    if (carried[0]?.fromPos === prev.from) [version, ...carried] = carried as [EntityVersion];
    else {
      if (prev.to === null) return undefined;
      const item = await get(versionKey(prev.to, prev.from));
      if (!item) return undefined;
      [version, ...carried] = versionsOfItem(item) as [EntityVersion];
    }
    chain.push(version);
    prev = { from: version.prevFrom, to: version.prevTo };
  }
  return chain.reverse();
}

/**
 * A deleted item has no head to walk back from: its versions are found among the mailbox's (keyed by when they
 * ended), at the read cost of the mailbox's history. A help-desk question, not a hot path.
 */
async function versionsOf(table: string, ref: MailboxRef, key: string): Promise<EntityVersion[]> {
  const { items } = await versionsEndedIn(
    table,
    ref.serverId,
    ref.mailboxId,
    { from: 0 },
    { expression: 'k = :k', values: { ':k': key } },
  );
  return items.flatMap(versionsOfItem).sort((a, b) => a.toTime - b.toTime);
}
