import type { ItemState, MailboxRef } from '#core/control-api.ts';
import { headFromItem, versionFromItem } from '#core/index/entity-items.ts';
import { itemKey } from '#core/index/index-entity.ts';
import { entityKeys } from '#core/index-keys.ts';
import { queryAll } from '#functions/query/query-all.ts';

/** Every state one item had, oldest first, with the ops that began and ended each. */
export async function itemHistory(table: string, ref: MailboxRef, itemId: number): Promise<ItemState[]> {
  const keys = entityKeys(ref.serverId, ref.mailboxId, itemKey(itemId));
  const [versions, head] = await Promise.all([
    queryAll({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :v)',
      ExpressionAttributeValues: { ':pk': keys.pk, ':v': keys.version('') },
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
