import { headFromItem } from '#core/index/entity-items.ts';
import { indexKeys } from '#core/index-keys.ts';
import { queryAll } from '#functions/query/query-all.ts';

/** The ids of a server's mailboxes that exist now in the index (deleted ones keep a tombstone head). */
export async function liveMailboxIds(table: string, serverId: string): Promise<Set<string>> {
  return new Set((await liveMailboxes(table, serverId)).map((m) => String(m.mailboxId)));
}

/** A server's mailboxes that exist now in the index, with their accounts. */
export async function liveMailboxes(
  table: string,
  serverId: string,
): Promise<{ mailboxId: number; accountId: string }[]> {
  const { items } = await queryAll({
    TableName: table,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :heads)',
    ExpressionAttributeValues: { ':pk': indexKeys.server(serverId), ':heads': 'H#MBX#' },
    ConsistentRead: true,
  });
  return items
    .map(headFromItem)
    .flatMap((h) =>
      h.state?.kind === 'mailbox' ? [{ mailboxId: h.mailboxId, accountId: h.state.accountId }] : [],
    );
}

/**
 * The mailboxes a bridge still waits for: those no scan has restated since, unless deleted meanwhile (a
 * mailbox that is gone needs no scan; its history up to the deletion is as approximate as the bridge made it).
 */
export function awaitedMailboxes(unscanned: Set<string> | undefined, live: Set<string>): number[] {
  return [...(unscanned ?? [])]
    .filter((id) => live.has(id))
    .map(Number)
    .sort((a, b) => a - b);
}
