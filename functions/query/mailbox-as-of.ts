import { entitiesAsOf, type TimedState } from '#core/index/entities-as-of.ts';
import { headFromItem, recordsOfHead, versionsOfItem } from '#core/index/entity-items.ts';
import { type EntityState, MAILBOX_KEY, type MailboxEntity } from '#core/index/index-entity.ts';
import type { EntityVersion } from '#core/index/version-overlay.ts';
import { entityKeys, indexKeys, keyPrefixes, scopeKeys } from '#core/index-keys.ts';
import { queryAll } from '#functions/query/query-all.ts';
import { versionsEndedIn } from '#functions/query/versions-ended.ts';

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
 * One mailbox as it was at `time` (ms): its current heads plus the versions that ended after `time` (one
 * range of its partition, keyed by end time). The cost grows with the mailbox's size and with how much
 * changed since `time`, not with its whole history. Undefined if the mailbox did not exist then.
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
  const keys = scopeKeys(serverId, scope);
  const [heads, history] = await Promise.all([
    queryAll({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :h)',
      ExpressionAttributeValues: { ':pk': keys.pk, ':h': 'H#' },
    }),
    // Versions that ended after `time`: none of them had ended at it (integer milliseconds).
    versionsEndedIn(table, serverId, scope, { from: Math.floor(time) + 1 }),
  ]);
  const candidates: TimedState[] = [
    ...heads.items.flatMap(recordsOfHead),
    ...history.items.flatMap(versionsOfItem),
  ];
  return {
    entities: entitiesAsOf(candidates, time),
    itemsRead: heads.items.length + history.items.length,
    readUnits: heads.readUnits + history.readUnits,
  };
}

/** One version of a mailbox's own entity; `toTime` absent: current. A null state is a deletion's tombstone. */
export interface MailboxVersion {
  mailboxId: number;
  state: MailboxEntity | null;
  fromPos: string;
  fromTime: number;
  toPos?: string;
  toTime?: number;
  /** The version ended because the mailbox was deleted. */
  deleted: boolean;
}

/** Every version of the server's mailboxes' own entities (account id, rename); one mailbox's if `only`. */
export async function mailboxHistory(
  table: string,
  serverId: string,
  only?: number,
): Promise<{ versions: MailboxVersion[]; readUnits: number }> {
  const suffix =
    only === undefined ? keyPrefixes.mailbox : entityKeys(serverId, only, MAILBOX_KEY).head.slice(2);
  const pages = await Promise.all(
    ['H#', 'V#'].map((prefix) =>
      queryAll({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': indexKeys.server(serverId), ':p': `${prefix}${suffix}` },
      }),
    ),
  );
  const closed = ({ mailboxId, state, fromPos, fromTime, toPos, toTime, deleted }: EntityVersion) => ({
    mailboxId,
    state: state as MailboxEntity,
    fromPos,
    fromTime,
    toPos,
    toTime,
    deleted,
  });
  const versions = pages.flatMap((page) =>
    page.items.flatMap((item): MailboxVersion[] => {
      if (item.tp !== undefined) return versionsOfItem(item).map(closed);
      const { mailboxId, state, fromPos, fromTime, riders } = headFromItem(item);
      return [
        { mailboxId, state: state as MailboxEntity | null, fromPos, fromTime, deleted: false },
        ...(riders ?? []).map(closed),
      ];
    }),
  );
  return { versions, readUnits: pages.reduce((sum, page) => sum + page.readUnits, 0) };
}

/** The server's mailboxes (their own entity: account id, rename) valid at `time`; one if `only` is given. */
export async function mailboxesAsOf(
  table: string,
  serverId: string,
  time: number,
  only?: number,
): Promise<{ mailboxes: Map<number, MailboxEntity>; itemsRead: number; readUnits: number }> {
  const { versions, readUnits } = await mailboxHistory(table, serverId, only);
  const mailboxes = new Map<number, MailboxEntity>();
  for (const [id, state] of entitiesAsOf(
    versions.map((v) => ({ ...v, key: String(v.mailboxId) })),
    time,
  ))
    if (state.kind === 'mailbox') mailboxes.set(Number(id), state);
  return { mailboxes, itemsRead: versions.length, readUnits };
}
