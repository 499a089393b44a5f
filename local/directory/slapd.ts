import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'ldapts';
import { startChildEmulator } from '#local/emulators/child-emulator.ts';
import { assertPortFree, freePort, LOOPBACK } from '#local/emulators/ports.ts';

/** Where Debian's `slapd` package puts the daemon, its modules and its schemas. */
const SLAPD = '/usr/sbin/slapd';
const MODULES = '/usr/lib/ldap';
const SCHEMAS = '/etc/ldap/schema';
const ZIMBRA_SCHEMA = fileURLToPath(new URL('zimbra-subset.schema', import.meta.url));
/** The bind DN Zimbra's own tools use; the root DN of our private database. */
export const DIRECTORY_ROOT_DN = 'uid=zimbra,cn=admins,cn=zimbra';

export interface RunningDirectory {
  readonly url: string;
  readonly bindDn: string;
  readonly password: string;
  stop(): Promise<void>;
}

/** True when Debian's slapd is installed (the simulator then also loads its directory into it). */
export function slapdInstalled(): boolean {
  try {
    accessSync(SLAPD, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * A private OpenLDAP server on loopback: one MDB database with the empty suffix (as Zimbra configures it,
 * so `dc=com`, `dc=org` and `cn=zimbra` trees live side by side), the standard person schemas and the
 * Zimbra subset. Everything lives under `workDir`; `stop()` ends the process.
 */
export async function startSlapd(options: { workDir: string; port?: number }): Promise<RunningDirectory> {
  const port = options.port || (await freePort());
  await assertPortFree(port, 'slapd');
  const dbDir = join(options.workDir, 'db');
  mkdirSync(dbDir, { recursive: true });
  const password = randomBytes(18).toString('base64url');
  const config = join(options.workDir, 'slapd.conf');
  writeFileSync(
    config,
    [
      ...['core', 'cosine', 'inetorgperson'].map((s) => `include ${SCHEMAS}/${s}.schema`),
      `include ${ZIMBRA_SCHEMA}`,
      `pidfile ${join(options.workDir, 'slapd.pid')}`,
      `modulepath ${MODULES}`,
      'moduleload back_mdb',
      'database mdb',
      'suffix ""',
      `rootdn "${DIRECTORY_ROOT_DN}"`,
      `rootpw ${password}`,
      `directory ${dbDir}`,
      'maxsize 268435456',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const url = `ldap://${LOOPBACK}:${port}`;
  const child = await startChildEmulator({
    name: 'slapd',
    command: SLAPD,
    // -d 0: stay in the foreground (the harness owns the process) and log nothing.
    args: ['-f', config, '-h', `${url}/`, '-d', '0'],
    endpoint: url,
    ready: () => binds(url, password),
    startTimeoutMs: 15_000,
    missingHint: 'OpenLDAP is needed for directory tests (Debian: apt-get install slapd ldap-utils)',
  });
  return { url, bindDn: DIRECTORY_ROOT_DN, password, stop: () => child.stop() };
}

async function binds(url: string, password: string): Promise<boolean> {
  const client = new Client({ url, connectTimeout: 1000, timeout: 2000 });
  try {
    await client.bind(DIRECTORY_ROOT_DN, password);
    return true;
  } finally {
    await client.unbind().catch(() => undefined);
  }
}
