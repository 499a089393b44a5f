import { readFile } from 'node:fs/promises';
import { Client } from 'ldapts';
import mariadb, { type Connection } from 'mariadb';
import type { AgentConfig } from '#agent/config/agent-config.ts';
import { type DoctorCheck, fail, ok, skip, warn } from '#agent/doctor/doctor-check.ts';
import { needsStartTls } from '#agent/ldap/dump-directory.ts';
import { ldapReason } from '#core/ldap/ldap-reason.ts';

async function secret(file: string): Promise<string | Error> {
  try {
    return (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
  } catch (error) {
    return error as Error;
  }
}

/** The LDAP bind the dumps use, and one read under the base: nothing is written. */
export async function ldapCheck(config: AgentConfig): Promise<DoctorCheck> {
  const name = 'LDAP bind';
  const ldap = config.ldap;
  if (!ldap) return skip(name, 'no "ldap" section: the agent ships no LDAP dumps');
  const password = await secret(ldap.passwordFile);
  if (password instanceof Error)
    return fail(
      name,
      `cannot read ${ldap.passwordFile}: ${password.message}`,
      "let the agent's user read ldap.passwordFile",
    );
  const client = new Client({ url: ldap.url, connectTimeout: 10_000, timeout: 10_000 });
  try {
    const host = needsStartTls(ldap.url, ldap.insecure);
    if (host !== undefined) await client.startTLS({ servername: host });
    await client.bind(ldap.bindDn, password);
    const { searchEntries } = await client.search(ldap.base, {
      scope: 'base',
      sizeLimit: 1,
      attributes: ['1.1'],
    });
    return ok(
      name,
      `bound to ${ldap.url} as ${ldap.bindDn}; "${ldap.base}" is readable (${searchEntries.length} entry)`,
    );
  } catch (error) {
    return fail(
      name,
      `${ldap.url} as ${ldap.bindDn}: ${ldapReason(error)}`,
      'check ldap.url, ldap.bindDn and the password file (zmlocalconfig -s zimbra_ldap_password), and StartTLS (ldaps:// or ldap.insecure)',
    );
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

const WRITE_GRANTS = /\b(ALL PRIVILEGES|INSERT|UPDATE|DELETE|DROP|CREATE|ALTER|GRANT OPTION)\b/i;

/** The database user scans log in as: it logs in, reads the mailbox table, and can change nothing. */
export async function databaseCheck(config: AgentConfig): Promise<DoctorCheck> {
  const name = 'database user';
  const db = config.mailboxDb;
  if (!db) return skip(name, 'no "mailboxDb" section: scans of the server are not possible');
  const password = await secret(db.passwordFile);
  if (password instanceof Error)
    return fail(
      name,
      `cannot read ${db.passwordFile}: ${password.message}`,
      "let the agent's user read mailboxDb.passwordFile",
    );
  let connection: Connection | undefined;
  try {
    connection = await mariadb.createConnection({
      host: db.host,
      port: db.port,
      user: db.user,
      password,
      connectTimeout: 10_000,
    });
    const [count] = (await connection.query('SELECT COUNT(*) AS n FROM zimbra.mailbox')) as { n: bigint }[];
    const grants = (
      (await connection.query('SHOW GRANTS FOR CURRENT_USER()')) as Record<string, string>[]
    ).flatMap((row) => Object.values(row));
    const writes = grants.filter((g) => WRITE_GRANTS.test(g.replace(/^GRANT USAGE\b/i, '')));
    const where = `${db.user}@${db.host}:${db.port} reads zimbra.mailbox (${count?.n ?? 0} mailboxes)`;
    if (writes.length > 0)
      return warn(
        name,
        `${where} but may also write: ${writes.join('; ')}`,
        'give scans a user with SELECT only',
      );
    return ok(name, `${where}, read-only`);
  } catch (error) {
    return fail(
      name,
      `${db.user}@${db.host}:${db.port}: ${(error as Error).message}`,
      'create a read-only user (GRANT SELECT ON `zimbra`.* and `mboxgroup%`.*) and check mailboxDb',
    );
  } finally {
    await connection?.end().catch(() => undefined);
  }
}
