import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mariadb from 'mariadb';
import { startChildEmulator } from '#local/emulators/child-emulator.ts';
import { assertPortFree, freePort, LOOPBACK } from '#local/emulators/ports.ts';
import { LocalCloudError } from '#local/errors.ts';

/** Where Debian's `mariadb-server` package puts the daemon and the data directory initializer. */
const MARIADBD = '/usr/sbin/mariadbd';
const INSTALL_DB = '/usr/bin/mariadb-install-db';

export interface DatabaseLogin {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface RunningMariaDb {
  /** Owner of the mailbox databases (what the mail server itself logs in as). */
  readonly admin: DatabaseLogin;
  /** SELECT only, on `zimbra` and every `mboxgroup…` database: what the backup agent is given. */
  readonly reader: DatabaseLogin;
  stop(): Promise<void>;
}

export function mariadbInstalled(): boolean {
  try {
    accessSync(MARIADBD, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * A private MariaDB on loopback with its data under `workDir`: users `zimbra` (all rights) and `offsite`
 * (read-only), with random passwords. `stop()` ends the process.
 */
export async function startMariaDb(options: { workDir: string; port?: number }): Promise<RunningMariaDb> {
  const port = options.port || (await freePort());
  await assertPortFree(port, 'MariaDB');
  const dataDir = join(options.workDir, 'data');
  const user = userInfo().username;
  if (!existsSync(join(dataDir, 'mysql'))) {
    mkdirSync(dataDir, { recursive: true });
    try {
      await promisify(execFile)(INSTALL_DB, [
        '--no-defaults',
        `--datadir=${dataDir}`,
        `--user=${user}`,
        '--auth-root-authentication-method=socket',
        '--skip-test-db',
        '--skip-name-resolve',
      ]);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new LocalCloudError(
        code === 'ENOENT'
          ? 'MariaDB is needed for the mailbox database (Debian: apt-get install mariadb-server)'
          : `mariadb-install-db failed: ${(error as { stderr?: string }).stderr ?? (error as Error).message}`,
        { cause: error },
      );
    }
  }
  const admin = { host: LOOPBACK, port, user: 'zimbra', password: randomBytes(18).toString('base64url') };
  const reader = { host: LOOPBACK, port, user: 'offsite', password: randomBytes(18).toString('base64url') };
  const initFile = join(options.workDir, 'init.sql');
  // Read at every start: the users get this run's passwords.
  writeFileSync(
    initFile,
    [
      `CREATE OR REPLACE USER 'zimbra'@'${LOOPBACK}' IDENTIFIED BY '${admin.password}';`,
      `GRANT ALL PRIVILEGES ON *.* TO 'zimbra'@'${LOOPBACK}';`,
      `CREATE OR REPLACE USER 'offsite'@'${LOOPBACK}' IDENTIFIED BY '${reader.password}';`,
      `GRANT SELECT ON \`zimbra\`.* TO 'offsite'@'${LOOPBACK}';`,
      `GRANT SELECT ON \`mboxgroup%\`.* TO 'offsite'@'${LOOPBACK}';`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const child = await startChildEmulator({
    name: 'MariaDB',
    command: MARIADBD,
    args: [
      '--no-defaults',
      `--datadir=${dataDir}`,
      `--user=${user}`,
      `--socket=${join(options.workDir, 'mariadb.sock')}`,
      `--pid-file=${join(options.workDir, 'mariadb.pid')}`,
      `--port=${port}`,
      `--bind-address=${LOOPBACK}`,
      `--init-file=${initFile}`,
      '--skip-name-resolve',
      '--skip-log-bin',
      '--innodb-buffer-pool-size=128M',
      // Test data is disposable: no fsync per commit.
      '--innodb-flush-log-at-trx-commit=0',
      '--log-error=',
    ],
    endpoint: `mysql://${LOOPBACK}:${port}`,
    ready: () => logsIn(reader),
    startTimeoutMs: 30_000,
    missingHint: 'MariaDB is needed for the mailbox database (Debian: apt-get install mariadb-server)',
  });
  return { admin, reader, stop: () => child.stop() };
}

async function logsIn(login: DatabaseLogin): Promise<boolean> {
  const connection = await mariadb.createConnection({ ...login, connectTimeout: 1000 });
  await connection.end();
  return true;
}
