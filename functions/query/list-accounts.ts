import type { AccountRow, DomainRow } from '#core/control-api.ts';
import { directoryAsOf } from '#functions/query/directory-as-of.ts';
import { type MailboxVersion, mailboxHistory } from '#functions/query/mailbox-as-of.ts';
import { listServers } from '#functions/query/resolve-account.ts';

/** Mailboxes (accounts) of every server that existed at `at`; with `deleted`, also those deleted by then. */
export async function listAccounts(table: string, at: number, deleted: boolean): Promise<AccountRow[]> {
  const rows: AccountRow[] = [];
  for (const serverId of await listServers(table)) {
    const directory = await directoryAsOf(table, serverId, at);
    const byMailbox = new Map<number, MailboxVersion[]>();
    for (const v of (await mailboxHistory(table, serverId)).versions) {
      if (!v.state) continue; // a deletion's tombstone not yet cleaned up
      const list = byMailbox.get(v.mailboxId) ?? [];
      list.push(v);
      byMailbox.set(v.mailboxId, list);
    }
    for (const [mailboxId, versions] of byMailbox) {
      const known = versions.filter((v) => v.fromTime <= at).sort((a, b) => a.fromTime - b.fromTime);
      const first = known[0];
      const last = known.at(-1);
      if (!first || !last?.state) continue;
      const live = last.toTime === undefined || last.toTime > at;
      if (!live && !(deleted && last.deleted)) continue;
      rows.push({
        serverId,
        mailboxId,
        accountId: last.state.accountId,
        name: directory.objects.get(last.state.accountId)?.name ?? last.state.renamedTo,
        createdAt: new Date(first.fromTime).toISOString(),
        ...(live ? {} : { deletedAt: new Date(last.toTime as number).toISOString() }),
      });
    }
  }
  return rows.sort((a, b) => a.serverId.localeCompare(b.serverId) || a.mailboxId - b.mailboxId);
}

/** Domains in the directory of every server at `at` (from its LDAP dumps). */
export async function listDomains(table: string, at: number): Promise<DomainRow[]> {
  const rows: DomainRow[] = [];
  for (const serverId of await listServers(table)) {
    for (const [zimbraId, object] of (await directoryAsOf(table, serverId, at)).objects) {
      if (object.object !== 'domain') continue;
      const status = object.attributes.zimbraDomainStatus?.[0];
      rows.push({ serverId, zimbraId, name: object.name, ...(status ? { status } : {}) });
    }
  }
  return rows.sort((a, b) => a.name.localeCompare(b.name) || a.serverId.localeCompare(b.serverId));
}
