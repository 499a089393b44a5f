import { ImapFlow } from 'imapflow';
import {
  type ApplyAccountReport,
  type ApplyOptions,
  checkedMessage,
  emptyReport,
  selectedAccounts,
} from '#agent/restore/apply-report.ts';
import { RestoreTargetError } from '#agent/restore/errors.ts';
import type { OpenBundle } from '#agent/restore/open-bundle.ts';
import { inParallel } from '#core/in-parallel.ts';
import { folderPaths, NON_MAIL_FOLDERS } from '#core/restore/folder-paths.ts';
import { imapFlagsOf } from '#core/restore/imap-flags.ts';
import { encodeModifiedUtf7 } from '#core/restore/modified-utf7.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';

export interface ImapTarget {
  host: string;
  port: number;
  secure: boolean;
  /** Log in as this user (one account only); otherwise as each account's target name. */
  user?: string;
  /** Log in as `<account>*<masterUser>` with the master user's password (Dovecot master users). */
  masterUser?: string;
  /**
   * Authenticate as this administrator and act as each account: SASL PLAIN with the account as the
   * authorization identity (how Zimbra, Cyrus and Dovecot master users let one credential restore many).
   */
  adminUser?: string;
  password: string;
  /** Allow an `imap://` session that stays plaintext (no STARTTLS): a trusted network only. */
  insecure?: boolean;
}

/** A URL as an error may show it: any password in it (a mistyped URL, say) replaced. */
export function redactedUrl(text: string): string {
  return text.replace(/([^\s:/@]*):[^\s/@]*@/g, '$1:***@');
}

/** `imap://[user@]host[:port]` or `imaps://…`; the password never comes from the URL (it would show in `ps`). */
export function parseImapUrl(
  url: string,
): Omit<ImapTarget, 'password' | 'masterUser' | 'adminUser' | 'insecure'> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new RestoreTargetError(`not an IMAP URL: ${redactedUrl(url)}`, { cause });
  }
  if ((parsed.protocol !== 'imap:' && parsed.protocol !== 'imaps:') || !parsed.hostname)
    throw new RestoreTargetError(`not an IMAP URL (imap:// or imaps://, then a host): ${redactedUrl(url)}`);
  if (parsed.password)
    throw new RestoreTargetError(
      'do not put the password in the URL: use --password-env VAR or --password-file FILE',
    );
  const secure = parsed.protocol === 'imaps:';
  return {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : secure ? 993 : 143,
    secure,
    ...(parsed.username ? { user: decodeURIComponent(parsed.username) } : {}),
  };
}

/** Accounts applied at once, each over its own connection (`--parallel`). */
export const DEFAULT_IMAP_PARALLEL = 4;

/**
 * Appends each account's messages to an IMAP server: folders are created as needed, flags and tags set,
 * the internal date is the received date. A message already in its folder (same size and SHA-256 of its
 * content) is skipped, so re-running or resuming an interrupted apply never duplicates a message.
 */
export async function applyToImap(
  bundle: OpenBundle,
  target: ImapTarget,
  options: ApplyOptions = {},
): Promise<ApplyAccountReport[]> {
  const selected = selectedAccounts(bundle.accounts, options.accounts);
  if ([target.user, target.masterUser, target.adminUser].filter(Boolean).length > 1)
    throw new RestoreTargetError('give one of: a user in the URL, --master-user, --admin-user');
  if (target.user && selected.length > 1)
    throw new RestoreTargetError(
      `the URL names one user but ${selected.length} accounts are selected: choose one with --account, or log in per account (leave the user out, or use --master-user)`,
    );
  // Accounts go over their own connections side by side: an APPEND waits for the server's write, so one
  // connection leaves the server idle between messages; a few keep it busy.
  const reports: ApplyAccountReport[] = new Array(selected.length);
  const order = new Map(selected.map(([index], at) => [index, at]));
  await inParallel(
    selected,
    Math.max(1, options.parallel ?? DEFAULT_IMAP_PARALLEL),
    async ([index, account]) => {
      const user =
        target.user ?? (target.masterUser ? `${account.target}*${target.masterUser}` : account.target);
      const client = new ImapFlow({
        host: target.host,
        port: target.port,
        secure: target.secure,
        // imap:// upgrades with STARTTLS or fails: a password never crosses the network in the clear unless
        // the operator said so.
        ...(target.secure || target.insecure ? {} : { doSTARTTLS: true }),
        auth: target.adminUser
          ? {
              user: target.adminUser,
              pass: target.password,
              authzid: account.target,
              loginMethod: 'AUTH=PLAIN',
            }
          : { user, pass: target.password },
        logger: false,
      });
      try {
        await client.connect();
      } catch (cause) {
        // A refused login may leave the connection open: it must not keep the process alive.
        client.close();
        const detail = (cause as { responseText?: string }).responseText ?? (cause as Error).message;
        throw new RestoreTargetError(
          !target.secure &&
            !target.insecure &&
            /STARTTLS|TLS/i.test(`${detail} ${(cause as { code?: string }).code ?? ''}`)
            ? `${target.host}:${target.port} does not offer STARTTLS (${detail}): use imaps://, or --insecure on a network you trust`
            : `cannot log in to ${target.host}:${target.port} as ${target.adminUser ? `${account.target} (authorized by ${target.adminUser})` : user}: ${detail}`,
          { cause },
        );
      }
      try {
        reports[order.get(index) as number] = await applyAccount(client, bundle, index, options);
      } finally {
        await client.logout().catch(() => client.close());
      }
    },
  );
  return reports;
}

async function applyAccount(
  client: ImapFlow,
  bundle: OpenBundle,
  index: number,
  options: ApplyOptions,
): Promise<ApplyAccountReport> {
  const account = bundle.accounts[index] as OpenBundle['accounts'][number];
  const report: ApplyAccountReport = emptyReport(account);
  const existing = await client.list();
  const delimiter = existing[0]?.delimiter ?? '/';
  const have = new Set(existing.map((m) => (m.path.toUpperCase() === 'INBOX' ? 'INBOX' : m.path)));
  const paths = folderPaths(account.folders);
  const pathOf = (folderId: number): string => {
    const path = paths.get(folderId) ?? ['INBOX'];
    const clash = path.find((name) => name.includes(delimiter));
    if (clash)
      throw new RestoreTargetError(
        `folder name "${clash}" of ${account.account.name} contains the server's hierarchy delimiter "${delimiter}"`,
      );
    return path.length === 0 ? 'INBOX' : path.join(delimiter);
  };
  const folders = account.folders
    .filter((f) => !NON_MAIL_FOLDERS.has(f.id))
    .map((f) => pathOf(f.id))
    .sort((a, b) => a.split(delimiter).length - b.split(delimiter).length);
  for (const path of folders) {
    report.folders++;
    if (have.has(path)) continue;
    await client.mailboxCreate(path);
    have.add(path);
  }
  for (const [folderId, messages] of Map.groupBy(account.messages, (m) => m.folderId)) {
    const path = pathOf(folderId);
    if (!have.has(path)) {
      await client.mailboxCreate(path);
      have.add(path);
    }
    const present = await contentIndex(client, path);
    const batch = new AppendBatch(client, path);
    for (const message of messages) {
      const body = await checkedMessage(bundle, index, message, report);
      if (!body) continue;
      if (await present.has(body)) {
        report.skipped++;
        options.onMessage?.(0);
        continue;
      }
      await batch.add(body, imapFlagsOf(message.flags, message.tags), new Date(message.receivedDate));
      report.appended++;
      report.bytes += body.length;
      options.onMessage?.(body.length);
    }
    await batch.flush();
  }
  return report;
}

/** Messages per MULTIAPPEND, and bytes: one command, one round trip and one commit on the server. */
const BATCH_MESSAGES = 50;
const BATCH_BYTES = 8 * 1024 * 1024;

/**
 * Appends to one folder, many messages to a command where the server takes MULTIAPPEND (RFC 3502; Dovecot,
 * Cyrus): an APPEND waits for the server to commit, so one per message leaves both sides idle most of the
 * time. MULTIAPPEND is all or nothing: a refused batch adds nothing, and a re-run appends it whole.
 */
class AppendBatch {
  private readonly client: ImapFlow;
  private readonly path: string;
  private readonly multi: boolean;
  private messages: { body: Buffer; flags: string[]; date: Date }[] = [];
  private bytes = 0;

  constructor(client: ImapFlow, path: string) {
    this.client = client;
    this.path = path;
    this.multi = client.capabilities.has('MULTIAPPEND');
  }

  async add(body: Buffer, flags: string[], date: Date): Promise<void> {
    if (!this.multi) {
      await this.client.append(this.path, body, flags, date);
      return;
    }
    this.messages.push({ body, flags, date });
    this.bytes += body.length;
    if (this.messages.length >= BATCH_MESSAGES || this.bytes >= BATCH_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    const messages = this.messages;
    if (messages.length === 0) return;
    this.messages = [];
    this.bytes = 0;
    const utf8 = this.client.enabled.has('UTF8=ACCEPT');
    const attributes: unknown[] = [{ type: 'ATOM', value: utf8 ? this.path : encodeModifiedUtf7(this.path) }];
    for (const m of messages)
      attributes.push(
        m.flags.map((flag) => ({ type: 'ATOM', value: flag })),
        { type: 'STRING', value: imapDateTime(m.date) },
        { type: 'LITERAL', value: m.body },
      );
    // imapflow's command writer sends each literal (LITERAL+ where offered); APPEND with many is RFC 3502.
    const exec = (
      this.client as unknown as {
        exec(command: string, attributes: unknown[]): Promise<{ next(): void }>;
      }
    ).exec;
    try {
      // The answer holds imapflow's queue until `next()`, as its own commands do.
      (await exec.call(this.client, 'APPEND', attributes)).next();
    } catch (cause) {
      const detail = (cause as { responseText?: string }).responseText ?? (cause as Error).message;
      throw new RestoreTargetError(
        `the server refused ${messages.length} messages for ${this.path}: ${detail}`,
        {
          cause,
        },
      );
    }
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** IMAP's date-time (RFC 3501): `dd-Mon-yyyy hh:mm:ss +0000`, in UTC. */
export function imapDateTime(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getUTCDate())}-${MONTHS[date.getUTCMonth()]}-${date.getUTCFullYear()} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}

/**
 * What a folder already holds, by size (cheap, one FETCH), with a message's content fetched and hashed only
 * when its size matches one being restored. Servers may store bare LFs as CRLF, so both forms are compared.
 */
async function contentIndex(
  client: ImapFlow,
  path: string,
): Promise<{ has(body: Buffer): Promise<boolean> }> {
  const bySize = new Map<number, number[]>();
  const lock = await client.getMailboxLock(path);
  try {
    const mailbox = client.mailbox;
    if (mailbox && mailbox.exists > 0)
      for await (const m of client.fetch('1:*', { uid: true, size: true })) {
        const list = bySize.get(m.size ?? -1) ?? [];
        list.push(m.uid);
        bySize.set(m.size ?? -1, list);
      }
  } finally {
    lock.release();
  }
  const hashes = new Map<number, string>();
  return {
    async has(body) {
      const crlf = Buffer.from(body.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
      const wanted = new Set([sha256Hex(body), sha256Hex(crlf)]);
      for (const uid of [...(bySize.get(body.length) ?? []), ...(bySize.get(crlf.length) ?? [])]) {
        let hash = hashes.get(uid);
        if (hash === undefined) {
          const lock = await client.getMailboxLock(path);
          try {
            const got = await client.fetchOne(String(uid), { source: true }, { uid: true });
            hash = got === false || !got.source ? '' : sha256Hex(got.source);
          } finally {
            lock.release();
          }
          hashes.set(uid, hash);
        }
        if (wanted.has(hash)) return true;
      }
      return false;
    },
  };
}
