import { readFile } from 'node:fs/promises';
import { Client } from 'ldapts';
import type { AgentConfig } from '#agent/config/agent-config.ts';
import { LdapDumpError } from '#agent/errors.ts';
import { readDirectory } from '#agent/ldap/read-directory.ts';
import { ldapReason } from '#core/ldap/ldap-reason.ts';
import { LDIF_END, ldifRecord } from '#core/ldap/ldif.ts';

/** What a dump wrote: its entries, and when it started. */
export interface DirectoryDump {
  entries: number;
  dumpedAt: Date;
}

export interface DumpOptions {
  now?: () => Date;
  /** LDIF is handed on in pieces of about this many characters (default 256 Ki). */
  pieceChars?: number;
}

/**
 * Reads the whole directory over LDAP (paged search) and hands it to `write` as LDIF, a piece at a time as
 * the pages arrive: a large directory is never held whole. Every failure — password file, connection,
 * bind, search — is an error naming the server and the step; an empty result is an error too, so a broken
 * directory is never shipped as a dump that would restore nothing (what was written is then to be dropped).
 */
export async function dumpDirectory(
  ldap: NonNullable<AgentConfig['ldap']>,
  write: (ldif: string) => Promise<void>,
  options: DumpOptions = {},
): Promise<DirectoryDump> {
  const pieceChars = options.pieceChars ?? 256 * 1024;
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
  const dumpedAt = (options.now ?? (() => new Date()))();
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
    let entries = 0;
    let piece = '';
    // Writing failed (the spool's disk), not the search: that error is passed on as it is.
    let writeFailure: unknown;
    try {
      for await (const entry of readDirectory(client, { base: ldap.base, pageSize: ldap.pageSize })) {
        piece += ldifRecord(entry, entries === 0);
        entries++;
        if (piece.length >= pieceChars) {
          await write(piece).catch((error: unknown) => {
            writeFailure = error;
            throw error;
          });
          piece = '';
        }
      }
    } catch (error) {
      if (error === writeFailure) throw error;
      throw new LdapDumpError(
        `searching ${ldap.url} under "${ldap.base}" failed after ${entries} entries: ${ldapReason(error)}`,
        { cause: error },
      );
    }
    if (entries === 0) {
      throw new LdapDumpError(
        `searching ${ldap.url} under "${ldap.base}" returned no entries; an empty dump is not shipped (check ldap.base and the bind DN's read access)`,
      );
    }
    await write(piece + LDIF_END);
    return { entries, dumpedAt };
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
