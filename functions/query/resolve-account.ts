import type { MailboxRef } from '#core/control-api.ts';
import { ValidationError } from '#core/errors.ts';
import { accountMailboxOf } from '#core/index/account-mailbox-item.ts';
import { storedKey } from '#core/index/stored-key.ts';
import { indexKeys } from '#core/index-keys.ts';
import { directoryAsOf } from '#functions/query/directory-as-of.ts';
import { mailboxesAsOf } from '#functions/query/mailbox-as-of.ts';
import { queryAll } from '#functions/query/query-all.ts';

export class AccountNotFoundError extends ValidationError {
  override readonly name = 'AccountNotFoundError';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SERVER_MAILBOX = /^([A-Za-z0-9._-]{1,64}):(\d{1,10})$/;

/**
 * The mailbox an operator means: `server:mailboxId`, an account id (zimbraId), or a name the account was
 * renamed to in the redo log at `time`. An account id with mailboxes on several servers is ambiguous.
 */
export async function resolveAccount(table: string, account: string, time: number): Promise<MailboxRef> {
  const direct = SERVER_MAILBOX.exec(account);
  if (direct) return { serverId: direct[1] as string, mailboxId: Number(direct[2]) };
  if (UUID.test(account)) {
    const { items } = await queryAll({
      TableName: table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': indexKeys.account(account.toLowerCase()) },
    });
    const refs = items.map(accountMailboxOf).map(({ serverId, mailboxId }) => ({ serverId, mailboxId }));
    if (refs.length === 1) return refs[0] as MailboxRef;
    if (refs.length === 0) throw new AccountNotFoundError(`no mailbox of account ${account} is indexed`);
    throw new AccountNotFoundError(
      `account ${account} has mailboxes on several servers (${refs.map((r) => `${r.serverId}:${r.mailboxId}`).join(', ')}): name one as server:mailboxId`,
    );
  }
  const lower = account.toLowerCase();
  // A name: what the directory (LDAP dumps) said it meant at `time`, across renames and deletions.
  for (const serverId of await listServers(table)) {
    const named = (await directoryAsOf(table, serverId, time)).names.get(lower);
    if (named?.object === 'account') return resolveAccount(table, named.zimbraId, time);
  }
  for (const serverId of await listServers(table)) {
    const { mailboxes } = await mailboxesAsOf(table, serverId, time);
    for (const [mailboxId, mailbox] of mailboxes)
      if (mailbox.renamedTo?.toLowerCase() === lower) return { serverId, mailboxId };
  }
  throw new AccountNotFoundError(
    `no mailbox is known as ${account} at ${new Date(time).toISOString()}: give the account id (zimbraId) or server:mailboxId`,
  );
}

export async function listServers(table: string): Promise<string[]> {
  const { items } = await queryAll({
    TableName: table,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': indexKeys.servers },
  });
  return items.map((i) => storedKey(i).sk);
}
