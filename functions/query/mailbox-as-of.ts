import { entitiesAsOf, type TimedState } from '#core/index/entities-as-of.ts';
import { type EntityState, MAILBOX_KEY, type MailboxEntity } from '#core/index/index-entity.ts';
import { entityKeys, historySortKey, indexKeys } from '#core/index-keys.ts';
import { headFromItem, versionFromItem } from '#functions/index/entity-items.ts';
import { type Item, queryAll } from '#functions/query/query-all.ts';

export interface MailboxAsOf {
  serverId: string;
  mailboxId: number;
  mailbox: MailboxEntity;
  /** Folders, tags, messages and contacts valid at the instant. */
  entities: Map<string, EntityState>;
  /** Index items read to answer (heads + versions) and the capacity they cost. */
  itemsRead: number;
  readUnits: number;
}

/**
 * One mailbox as it was at `time` (ms): its current heads plus the versions that ended after `time` (gsi1,
 * by end time). The cost grows with the mailbox's size and with how much changed since `time`, not with
 * its whole history. Undefined if the mailbox did not exist then.
 */
export async function mailboxAsOf(
  table: string,
  serverId: string,
  mailboxId: number,
  time: number,
): Promise<MailboxAsOf | undefined> {
  const own = await mailboxesAsOf(table, serverId, time, mailboxId);
  const mailbox = own.mailboxes.get(mailboxId);
  if (!mailbox) return undefined;
  const scope = await scopeAsOf(table, serverId, mailboxId, time);
  return {
    serverId,
    mailboxId,
    mailbox,
    entities: scope.entities,
    itemsRead: own.itemsRead + scope.itemsRead,
    readUnits: own.readUnits + scope.readUnits,
  };
}

/**
 * The entities of one scope (a mailbox's items, or the directory) valid at `time`: current heads plus the
 * closed versions that ended after `time`.
 */
export async function scopeAsOf(
  table: string,
  serverId: string,
  scope: number,
  time: number,
): Promise<{ entities: Map<string, EntityState>; itemsRead: number; readUnits: number }> {
  const keys = entityKeys(serverId, scope, 'item:0');
  const [heads, history] = await Promise.all([
    queryAll({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :h)',
      ExpressionAttributeValues: { ':pk': keys.pk, ':h': 'H#' },
    }),
    queryAll({
      TableName: table,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk > :t',
      ExpressionAttributeValues: { ':pk': keys.historyPk, ':t': historySortKey(time) },
    }),
  ]);
  const candidates: TimedState[] = [
    ...heads.items.map((item) => ({ ...headFromItem(item) })),
    ...history.items.map(versionFromItem),
  ];
  return {
    entities: entitiesAsOf(candidates, time),
    itemsRead: heads.items.length + history.items.length,
    readUnits: heads.readUnits + history.readUnits,
  };
}

/** The server's mailboxes (their own entity: account id, rename) valid at `time`; one if `only` is given. */
export async function mailboxesAsOf(
  table: string,
  serverId: string,
  time: number,
  only?: number,
): Promise<{ mailboxes: Map<number, MailboxEntity>; itemsRead: number; readUnits: number }> {
  const suffix = only === undefined ? 'MBX#' : entityKeys(serverId, only, MAILBOX_KEY).head.slice(2);
  const [heads, versions] = await Promise.all(
    ['H#', 'V#'].map((prefix) =>
      queryAll({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': indexKeys.server(serverId), ':p': `${prefix}${suffix}` },
      }),
    ),
  );
  const items: Item[] = [...(heads?.items ?? []), ...(versions?.items ?? [])];
  const candidates: TimedState[] = items.map((item) => {
    const base = item.tp === undefined ? headFromItem(item) : versionFromItem(item);
    return { ...base, key: String(base.mailboxId) };
  });
  const mailboxes = new Map<number, MailboxEntity>();
  for (const [id, state] of entitiesAsOf(candidates, time))
    if (state.kind === 'mailbox') mailboxes.set(Number(id), state);
  return {
    mailboxes,
    itemsRead: items.length,
    readUnits: (heads?.readUnits ?? 0) + (versions?.readUnits ?? 0),
  };
}
