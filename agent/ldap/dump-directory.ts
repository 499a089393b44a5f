import { readFile } from 'node:fs/promises';
import { Client } from 'ldapts';
import type { AgentConfig } from '#agent/config/agent-config.ts';
import { LdapDumpError } from '#agent/errors.ts';
import { readDirectory } from '#agent/ldap/read-directory.ts';
import type { DirectoryEntry } from '#core/ldap/directory-entry.ts';
import { ldapReason } from '#core/ldap/ldap-reason.ts';
import { formatLdif } from '#core/ldap/ldif.ts';

export interface DirectoryDump {
  ldif: Buffer;
  entries: number;
  dumpedAt: Date;
}

/**
 * Reads the whole directory over LDAP (paged search) as LDIF. Every failure — password file, connection,
 * bind, search — is an error naming the server and the step; an empty result is an error too, so a broken
 * directory is never shipped as a dump that would restore nothing.
 */
export async function dumpDirectory(
  ldap: NonNullable<AgentConfig['ldap']>,
  now: () => Date = () => new Date(),
): Promise<DirectoryDump> {
  let password: string;
  try {
    password = (await readFile(ldap.passwordFile, 'utf8')).replace(/\r?\n$/, '');
  } catch (error) {
    throw new LdapDumpError(
      `cannot read the LDAP password file ${ldap.passwordFile}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const client = new Client({ url: ldap.url, connectTimeout: 10_000, timeout: 60_000 });
  const dumpedAt = now();
  try {
    const host = needsStartTls(ldap.url, ldap.insecure);
    if (host !== undefined)
      try {
        await client.startTLS({ servername: host });
      } catch (error) {
        throw new LdapDumpError(
          `${ldap.url} does not upgrade with StartTLS (${ldapReason(error)}): use ldaps://, or set ldap.insecure on a network you trust`,
          { cause: error },
        );
      }
    try {
      await client.bind(ldap.bindDn, password);
    } catch (error) {
      throw new LdapDumpError(
        `cannot bind to ${ldap.url} as ${ldap.bindDn}: ${ldapReason(error)}; check ldap.bindDn and the password file`,
        { cause: error },
      );
    }
    const entries: DirectoryEntry[] = [];
    try {
      for await (const entry of readDirectory(client, { base: ldap.base, pageSize: ldap.pageSize }))
        entries.push(entry);
    } catch (error) {
      throw new LdapDumpError(
        `searching ${ldap.url} under "${ldap.base}" failed after ${entries.length} entries: ${ldapReason(error)}`,
        { cause: error },
      );
    }
    if (entries.length === 0) {
      throw new LdapDumpError(
        `searching ${ldap.url} under "${ldap.base}" returned no entries; an empty dump is not shipped (check ldap.base and the bind DN's read access)`,
      );
    }
    return { ldif: Buffer.from(formatLdif(entries), 'utf8'), entries: entries.length, dumpedAt };
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/**
 * The host an `ldap://` URL must upgrade to TLS with (StartTLS) before the bind, or undefined: `ldaps://` is
 * TLS already, loopback never leaves the host, and `insecure` is the operator's choice for a trusted network.
 */
export function needsStartTls(url: string, insecure: boolean): string | undefined {
  const parsed = new URL(url);
  if (parsed.protocol !== 'ldap:' || insecure) return undefined;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host) ? undefined : host;
}
