import { itemIdOf, type MessageEntity } from '#core/index/index-entity.ts';
import { historySortKey, scopeKeys } from '#core/index-keys.ts';
import { versionFromItem } from '#functions/index/entity-items.ts';
import { mailboxAsOf } from '#functions/query/mailbox-as-of.ts';
import { queryAll } from '#functions/query/query-all.ts';
import type { MailboxRef } from '#functions/query/resolve-account.ts';

export interface SearchFilter {
  /** Live items as of this instant (ms); default now. Ignored with `deleted`. */
  at?: number;
  folderId?: number;
  from?: string;
  subject?: string;
  /** Received (or, with `deleted`, deleted) before / after these instants (ms). */
  before?: number;
  after?: number;
  /** Items deleted in [after, before] instead of live ones. */
  deleted?: boolean;
}

export interface FoundMessage {
  id: number;
  folderId: number;
  subject?: string;
  from?: string;
  receivedDate: string;
  size: number;
  flags: number;
  tags: string[];
  sha256: string;
  /** With `deleted`: when and by what. */
  deletedAt?: string;
  deletedBy?: string;
}

/** Messages of a mailbox matching every given filter (doItemSearch's common fields), newest first. */
export async function searchItems(
  table: string,
  ref: MailboxRef,
  filter: SearchFilter,
): Promise<FoundMessage[]> {
  const matches = (m: MessageEntity) =>
    (filter.folderId === undefined || m.folderId === filter.folderId) &&
    (filter.from === undefined || (m.from ?? '').toLowerCase().includes(filter.from.toLowerCase())) &&
    (filter.subject === undefined || (m.subject ?? '').toLowerCase().includes(filter.subject.toLowerCase()));
  const found: FoundMessage[] = [];
  if (filter.deleted) {
    const keys = scopeKeys(ref.serverId, ref.mailboxId);
    const { items } = await queryAll({
      TableName: table,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk BETWEEN :a AND :b',
      FilterExpression: 'dl = :yes',
      ExpressionAttributeValues: {
        ':pk': keys.historyPk,
        ':a': historySortKey(filter.after ?? 0),
        ':b': historySortKey(filter.before ?? 9e14),
        ':yes': true,
      },
    });
    for (const v of items.map(versionFromItem)) {
      if (v.state.kind !== 'message' || !matches(v.state)) continue;
      found.push({
        ...view(itemIdOf(v.key) as number, v.state),
        deletedAt: new Date(v.toTime).toISOString(),
        deletedBy: v.endedBy,
      });
    }
  } else {
    const state = await mailboxAsOf(table, ref.serverId, ref.mailboxId, filter.at ?? Date.now());
    for (const [key, entity] of state?.entities ?? []) {
      if (entity.kind !== 'message' || !matches(entity)) continue;
      if (filter.before !== undefined && entity.receivedDate >= filter.before) continue;
      if (filter.after !== undefined && entity.receivedDate < filter.after) continue;
      found.push(view(itemIdOf(key) as number, entity));
    }
  }
  return found.sort((a, b) => (b.deletedAt ?? b.receivedDate).localeCompare(a.deletedAt ?? a.receivedDate));
}

function view(id: number, m: MessageEntity): FoundMessage {
  return {
    id,
    folderId: m.folderId,
    ...(m.subject !== undefined ? { subject: m.subject } : {}),
    ...(m.from !== undefined ? { from: m.from } : {}),
    receivedDate: new Date(m.receivedDate).toISOString(),
    size: m.size,
    flags: m.flags,
    tags: m.tags,
    sha256: m.sha256,
  };
}
