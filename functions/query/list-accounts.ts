import { indexKeys } from '#core/index-keys.ts';
import { headFromItem, versionFromItem } from '#functions/index/entity-items.ts';
import { queryAll } from '#functions/query/query-all.ts';
import { listServers } from '#functions/query/resolve-account.ts';

export interface AccountRow {
  serverId: string;
  mailboxId: number;
  accountId: string;
  /** The name a RenameMailbox gave it, when there was one. */
  name: string | null;
  createdAt: string;
  /** When the mailbox was deleted, if it was by `at`. */
  deletedAt?: string;
}

/** Mailboxes (accounts) of every server that existed at `at`; with `deleted`, also those deleted by then. */
export async function listAccounts(table: string, at: number, deleted: boolean): Promise<AccountRow[]> {
  const rows: AccountRow[] = [];
  for (const serverId of await listServers(table)) {
    const pages = await Promise.all(
      ['H#MBX#', 'V#MBX#'].map((prefix) =>
        queryAll({
          TableName: table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
          ExpressionAttributeValues: { ':pk': indexKeys.server(serverId), ':p': prefix },
        }),
      ),
    );
    const items = pages.flatMap((p) => p.items);
    const byMailbox = new Map<number, ReturnType<typeof versionFromItem>[]>();
    for (const item of items) {
      const v =
        item.tp === undefined
          ? {
              ...headFromItem(item),
              toPos: '',
              toTime: Number.POSITIVE_INFINITY,
              endedBy: '',
              deleted: false,
            }
          : versionFromItem(item);
      if (!v.state && item.tp === undefined) continue; // a tombstone not yet cleaned up
      const list = byMailbox.get(v.mailboxId) ?? [];
      list.push(v as ReturnType<typeof versionFromItem>);
      byMailbox.set(v.mailboxId, list);
    }
    for (const [mailboxId, versions] of byMailbox) {
      const known = versions.filter((v) => v.fromTime <= at).sort((a, b) => a.fromTime - b.fromTime);
      const first = known[0];
      const last = known.at(-1);
      if (!first || !last || last.state?.kind !== 'mailbox') continue;
      const live = last.toTime > at;
      if (!live && !(deleted && last.deleted)) continue;
      rows.push({
        serverId,
        mailboxId,
        accountId: last.state.accountId,
        name: last.state.renamedTo,
        createdAt: new Date(first.fromTime).toISOString(),
        ...(live ? {} : { deletedAt: new Date(last.toTime).toISOString() }),
      });
    }
  }
  return rows.sort((a, b) => a.serverId.localeCompare(b.serverId) || a.mailboxId - b.mailboxId);
}
