import type { MailboxRef } from '#core/control-api.ts';
import { recordsOfHead, versionsOfItem } from '#core/index/entity-items.ts';
import { storedKey } from '#core/index/stored-key.ts';
import { scopeKeys } from '#core/index-keys.ts';
import type { EntityRecord } from '#core/restore/restore-selection.ts';
import { queryAll } from '#functions/query/query-all.ts';
import { versionsEndedIn } from '#functions/query/versions-ended.ts';

/** Every version and head of a mailbox's entities: what skip-deletes and single-item restores look through. */
export async function mailboxRecords(table: string, ref: MailboxRef): Promise<EntityRecord[]> {
  const { items } = await queryAll({
    TableName: table,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': scopeKeys(ref.serverId, ref.mailboxId).pk },
  });
  return items.flatMap((item): EntityRecord[] => {
    const { sk } = storedKey(item);
    if (sk.startsWith('H#')) return recordsOfHead(item);
    if (sk.startsWith('V#')) return versionsOfItem(item);
    return [];
  });
}

/** The versions of a mailbox's entities that ended in [from, to] (keyed by end time): undelete's candidates. */
export async function recordsEndedBetween(
  table: string,
  ref: MailboxRef,
  from: number,
  to: number,
): Promise<EntityRecord[]> {
  const { items } = await versionsEndedIn(table, ref.serverId, ref.mailboxId, { from, to });
  return items.flatMap(versionsOfItem);
}
