import type { MailboxRef } from '#core/control-api.ts';
import type { MailboxEntity } from '#core/index/index-entity.ts';
import { type RestorePoint, validAt } from '#core/restore/restore-point.ts';
import type { RestoreParams } from '#core/restore/restore-request.ts';
import { accountNameProblem } from '#core/restore/safe-name.ts';
import { listAccounts } from '#functions/query/list-accounts.ts';
import { type MailboxVersion, mailboxHistory } from '#functions/query/mailbox-as-of.ts';
import { AccountNotFoundError, resolveAccount } from '#functions/query/resolve-account.ts';
import type { DirectoryReader } from '#functions/restore/directory-reader.ts';
import { RestorePlanError } from '#functions/restore/errors.ts';

/** One mailbox a restore reads: which, its own entity at the point, and the name it had. */
export interface RestoreSource extends MailboxRef {
  readonly mailbox: MailboxEntity;
  readonly name: string;
  /** The point this mailbox is read at (a deleted account: just before its deletion). */
  readonly point: RestorePoint;
}

/**
 * The mailboxes a restore names, each checked to exist at the point. Names are resolved as the directory
 * had them then (for a redo-position point, as it has them now); a named account that did not exist then
 * is an error that says so, while a domain or "all" simply takes what existed.
 */
export async function restoreSources(
  table: string,
  params: RestoreParams,
  point: RestorePoint,
  now: number,
  directory: DirectoryReader,
): Promise<RestoreSource[]> {
  const nameTime = 'time' in point ? point.time : now;
  if (params.mode === 'deleted-account')
    return [await deletedSource(table, params.accounts[0] as string, now, directory)];
  const named: MailboxRef[] = [];
  for (const account of params.accounts) {
    try {
      named.push(await resolveAccount(table, account, nameTime));
    } catch (error) {
      if (!(error instanceof AccountNotFoundError)) throw error;
      throw new RestorePlanError(error.message, [], { cause: error });
    }
  }
  // A domain or "all" takes the mailboxes live at the point, also those deleted since (a redo-position
  // point names accounts as they are now).
  const matched: MailboxRef[] = [];
  if (params.all || params.domains.length > 0) {
    const domains = params.domains.map((d) => `@${d.toLowerCase()}`);
    for (const row of await listAccounts(table, nameTime, true)) {
      if (!params.all && !domains.some((d) => row.name?.toLowerCase().endsWith(d))) continue;
      matched.push({ serverId: row.serverId, mailboxId: row.mailboxId });
    }
  }
  const explicit = new Set(named.map((r) => `${r.serverId}:${r.mailboxId}`));
  const unique = [
    ...new Map([...named, ...matched].map((r) => [`${r.serverId}:${r.mailboxId}`, r])).values(),
  ].filter((r) => params.serverId === undefined || r.serverId === params.serverId);
  const sources: RestoreSource[] = [];
  for (const ref of unique) {
    const versions = (await mailboxHistory(table, ref.serverId, ref.mailboxId)).versions;
    const live = latest(versions.filter((v) => v.state && validAt(v, point)));
    if (!live?.state) {
      if (!explicit.has(`${ref.serverId}:${ref.mailboxId}`)) continue;
      throw new RestorePlanError(
        `mailbox ${ref.serverId}:${ref.mailboxId} did not exist at the restore point: choose a later time, or restore it as a deleted account`,
      );
    }
    sources.push({
      ...ref,
      mailbox: live.state,
      point,
      name: await nameOf(directory, ref, live.state, nameTime),
    });
  }
  if (sources.length === 0) throw new RestorePlanError('no account matches: nothing to restore');
  return sources;
}

/**
 * A deleted account, as it was just before its deletion. `account` is server:mailboxId, a zimbraId, or the
 * name it had when it was deleted (the latest deletion wins if a name was reused).
 */
async function deletedSource(
  table: string,
  account: string,
  now: number,
  directory: DirectoryReader,
): Promise<RestoreSource> {
  const lower = account.toLowerCase();
  const candidates = (await listAccounts(table, now, true)).flatMap(({ deletedAt, ...row }) =>
    deletedAt === undefined ? [] : [{ ...row, deletedAt }],
  );
  const matches: { ref: MailboxRef; deletedAt: number }[] = [];
  for (const row of candidates) {
    const deletedAt = Date.parse(row.deletedAt);
    const ref = { serverId: row.serverId, mailboxId: row.mailboxId };
    const name = (await directory(row.serverId, deletedAt - 1)).objects.get(row.accountId)?.name;
    if (
      `${row.serverId}:${row.mailboxId}` === account ||
      row.accountId === lower ||
      name === lower ||
      row.name?.toLowerCase() === lower
    )
      matches.push({ ref, deletedAt });
  }
  const found = matches.sort((a, b) => b.deletedAt - a.deletedAt)[0];
  if (!found)
    throw new RestorePlanError(
      `no deleted account is known as ${account}: "offsite accounts --deleted" lists them (an account that still exists is restored with a point-in-time restore)`,
    );
  const point = { time: found.deletedAt - 1 };
  const versions = (await mailboxHistory(table, found.ref.serverId, found.ref.mailboxId)).versions;
  const live = latest(versions.filter((v) => v.state && validAt(v, point)));
  if (!live?.state)
    throw new RestorePlanError(
      `mailbox ${found.ref.serverId}:${found.ref.mailboxId} has no state before its deletion`,
    );
  return {
    ...found.ref,
    mailbox: live.state,
    point,
    name: await nameOf(directory, found.ref, live.state, point.time),
  };
}

function latest(versions: MailboxVersion[]): MailboxVersion | undefined {
  return versions.sort((a, b) => (a.fromPos < b.fromPos ? -1 : 1)).at(-1);
}

/** The directory's name for the account then, else its redo rename, else a placeholder built from its id. */
async function nameOf(
  directory: DirectoryReader,
  ref: MailboxRef,
  mailbox: MailboxEntity,
  time: number,
): Promise<string> {
  const fromDirectory = (await directory(ref.serverId, time)).objects.get(mailbox.accountId)?.name;
  for (const name of [fromDirectory, mailbox.renamedTo?.toLowerCase()])
    if (name && !accountNameProblem(name)) return name;
  return `${mailbox.accountId.toLowerCase().replace(/[^a-z0-9.-]/g, '-')}@unknown.invalid`;
}
