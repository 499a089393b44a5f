import { AlreadyExistsError, Attribute, Change, Client } from 'ldapts';
import { needsStartTls } from '#agent/ldap/dump-directory.ts';
import { RestoreTargetError } from '#agent/restore/errors.ts';
import type { OpenBundle } from '#agent/restore/open-bundle.ts';
import type { DirectoryEntry } from '#core/ldap/directory-entry.ts';
import { ldapReason } from '#core/ldap/ldap-reason.ts';
import { parseLdif } from '#core/ldap/ldif.ts';
import { planDirectoryLoad } from '#core/ldap/plan-directory-load.ts';
import { isSecretAttribute } from '#core/ldap/secret-attributes.ts';

/** The bind DN Zimbra's own tools use: the default for loading a directory. */
export const DIRECTORY_ADMIN_DN = 'uid=zimbra,cn=admins,cn=zimbra';

export interface LdapTarget {
  /** `ldap://host[:port]` or `ldaps://host[:port]`, no credentials in it. */
  readonly url: string;
  readonly bindDn: string;
  readonly password: string;
  /** Plain `ldap://` to a host not on loopback without StartTLS: the operator's choice. */
  readonly insecure?: boolean;
}

export interface LdapApplyOptions {
  /** An entry that exists is changed to the restored one (its attributes replaced); default: left alone. */
  readonly replace?: boolean;
  /** The new server's name, written into the accounts' zimbraMailHost (and zimbraMailTransport). */
  readonly mailHost?: string;
  readonly onEntry?: () => void;
}

export interface LdapApplyReport {
  readonly target: string;
  readonly entries: number;
  readonly added: number;
  /** Parents the restore did not carry (a domain's `dc=`, `ou=people`), made so their children fit. */
  readonly ancestorsAdded: number;
  /** There already, left as they were (no --replace). */
  readonly existing: string[];
  readonly replaced: number;
  readonly failed: { dn: string; reason: string }[];
}

/** A URL with no user, password, path or query: what `--to ldap[s]://…` takes. */
export function parseLdapUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RestoreTargetError(`not an LDAP URL: ${url.replace(/\/\/[^@/]*@/, '//')}`);
  }
  if (parsed.protocol !== 'ldap:' && parsed.protocol !== 'ldaps:')
    throw new RestoreTargetError(`not an LDAP URL (ldap:// or ldaps://): ${parsed.protocol}`);
  if (parsed.username || parsed.password)
    throw new RestoreTargetError(
      'do not put credentials in the URL: use --bind-dn DN and --password-env VAR or --password-file FILE',
    );
  if ((parsed.pathname !== '' && parsed.pathname !== '/') || parsed.search)
    throw new RestoreTargetError(`an LDAP target is ldap[s]://host[:port], nothing after it: ${url}`);
  return `${parsed.protocol}//${parsed.host}`;
}

/**
 * Loads a restore bundle's directory (its LDIF) into an LDAP server: parents first, each entry added once;
 * one that exists is reported and left alone unless `replace`, one the server refuses is reported with its
 * reason while the rest go on. A second run adds nothing. Connecting, StartTLS and the bind fail the whole
 * apply with the server and the step named (never the password).
 */
export async function applyToLdap(
  bundle: OpenBundle,
  target: LdapTarget,
  options: LdapApplyOptions = {},
): Promise<LdapApplyReport> {
  const directory = bundle.manifest.directory;
  if (!directory)
    throw new RestoreTargetError('the bundle holds no directory: restore it with `offsite restore ldap …`');
  const entries = parseLdif((await bundle.file(directory.file, directory.sha256)).toString('utf8'));
  const steps = planDirectoryLoad(entries, options.mailHost);
  const client = await connect(target);
  const report = {
    target: target.url,
    entries: entries.length,
    added: 0,
    ancestorsAdded: 0,
    existing: [] as string[],
    replaced: 0,
    failed: [] as { dn: string; reason: string }[],
  };
  try {
    for (const step of steps) {
      const outcome = await load(client, step.entry, step.ancestor ? false : (options.replace ?? false));
      if (outcome === 'added') {
        if (step.ancestor) report.ancestorsAdded++;
        else report.added++;
      } else if (outcome === 'replaced') report.replaced++;
      else if (outcome === 'existing') {
        if (!step.ancestor) report.existing.push(step.entry.dn);
      } else report.failed.push({ dn: step.entry.dn, reason: outcome.reason });
      options.onEntry?.();
    }
  } finally {
    await client.unbind().catch(() => undefined);
  }
  return report;
}

async function connect(target: LdapTarget): Promise<Client> {
  const client = new Client({ url: target.url, connectTimeout: 10_000, timeout: 60_000 });
  const host = needsStartTls(target.url, target.insecure ?? false);
  try {
    if (host) {
      try {
        await client.startTLS({ servername: host });
      } catch (error) {
        throw new RestoreTargetError(
          `${target.url} does not upgrade with StartTLS (${ldapReason(error)}): use ldaps://, or --insecure on a network you trust`,
          { cause: error },
        );
      }
    }
    try {
      await client.bind(target.bindDn, target.password);
    } catch (error) {
      throw new RestoreTargetError(
        `cannot bind to ${target.url} as ${target.bindDn}: ${ldapReason(error)}; check --bind-dn and the password`,
        { cause: error },
      );
    }
  } catch (error) {
    await client.unbind().catch(() => undefined);
    throw error;
  }
  return client;
}

/**
 * The changes that make an existing entry the restored one: every restored attribute replaced, every other
 * one removed — but the object classes (a structural class cannot change) and the secrets the restore does
 * not carry (password hashes, unless restored --with-secrets: removing them would lock the account out).
 */
async function replacement(client: Client, entry: DirectoryEntry): Promise<Change[]> {
  const restored = new Set(Object.keys(entry.attributes).map((name) => name.toLowerCase()));
  const kept = (name: string) =>
    name.toLowerCase() === 'objectclass' || (isSecretAttribute(name) && !restored.has(name.toLowerCase()));
  const { searchEntries } = await client.search(entry.dn, { scope: 'base', attributes: ['*'] });
  // ldapts lists every requested attribute, `*` itself too, with no values: only those with values count.
  const extra = Object.entries(searchEntries[0] ?? {})
    .filter(([name, value]) => name !== 'dn' && [value].flat().length > 0)
    .map(([name]) => name)
    .filter((name) => !restored.has(name.toLowerCase()) && !kept(name));
  return [
    ...Object.entries(entry.attributes)
      .filter(([name]) => !kept(name))
      .map(
        ([type, values]) =>
          new Change({ operation: 'replace', modification: new Attribute({ type, values }) }),
      ),
    ...extra.map((type) => new Change({ operation: 'delete', modification: new Attribute({ type }) })),
  ];
}

async function load(
  client: Client,
  entry: DirectoryEntry,
  replace: boolean,
): Promise<'added' | 'replaced' | 'existing' | { reason: string }> {
  try {
    await client.add(entry.dn, entry.attributes);
    return 'added';
  } catch (error) {
    if (!(error instanceof AlreadyExistsError)) return { reason: ldapReason(error) };
  }
  if (!replace) return 'existing';
  try {
    await client.modify(entry.dn, await replacement(client, entry));
    return 'replaced';
  } catch (error) {
    return { reason: ldapReason(error) };
  }
}
