import type { ItemState, MailboxRef } from '#core/control-api.ts';
import { headFromItem, versionFromItem } from '#core/index/entity-items.ts';
import { itemKey } from '#core/index/index-entity.ts';
import { entityKeys, versionsEnded } from '#core/index-keys.ts';
import { queryAll } from '#functions/query/query-all.ts';

/** Every state one item had, oldest first, with the ops that began and ended each. */
export async function itemHistory(table: string, ref: MailboxRef, itemId: number): Promise<ItemState[]> {
  const key = itemKey(itemId);
  const keys = entityKeys(ref.serverId, ref.mailboxId, key);
  const ended = versionsEnded(0);
  const [versions, head] = await Promise.all([
    // Versions are keyed by when they ended, so one item's are found among the mailbox's (a deleted item has
    // no head to walk back from). Read capacity is the mailbox's history; a help-desk question, not a hot path.
    queryAll({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      FilterExpression: 'k = :k',
      ExpressionAttributeValues: { ':pk': keys.pk, ':from': ended.from, ':to': ended.to, ':k': key },
    }),
    queryAll({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND sk = :h',
      ExpressionAttributeValues: { ':pk': keys.pk, ':h': keys.head },
    }),
  ]);
  const out: ItemState[] = versions.items.map(versionFromItem).map((v) => ({
    from: new Date(v.fromTime).toISOString(),
    to: new Date(v.toTime).toISOString(),
    op: v.op,
    endedBy: v.endedBy,
    state: { ...v.state },
  }));
  for (const item of head.items) {
    const h = headFromItem(item);
    if (h.state) out.push({ from: new Date(h.fromTime).toISOString(), op: h.op, state: { ...h.state } });
  }
  return out;
}
