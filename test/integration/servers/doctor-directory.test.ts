// `offsite doctor`'s LDAP and database checks against a real slapd and a real MariaDB: a good login passes,
// a wrong password or an unreadable password file fails with what to fix, a database user that may write is
// flagged.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type AgentConfig, parseAgentConfig } from '#agent/config/agent-config.ts';
import { databaseCheck, ldapCheck } from '#agent/doctor/directory-checks.ts';
import { type RunningDirectory, startSlapd } from '#local/directory/slapd.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { MailboxDatabase } from '#local/mail-host/mailbox-database.ts';
import { type DatabaseLogin, type RunningMariaDb, startMariaDb } from '#local/mail-host/mariadb-server.ts';

describe('doctor: the LDAP bind and the database user', () => {
  const work = mkdtempSync(join(tmpdir(), 'offsite-doctor-dir-'));
  let directory: RunningDirectory;
  let mariadb: RunningMariaDb;

  before(async () => {
    [directory, mariadb] = await Promise.all([
      startSlapd({ workDir: join(work, 'slapd') }),
      startMariaDb({ workDir: join(work, 'mariadb') }),
    ]);
    const sim = new MailHostSimulator({ hostDir: join(work, 'host'), seed: 4, accounts: 3 });
    sim.run(5);
    const database = await MailboxDatabase.open(mariadb.admin);
    try {
      await database.mirror(sim);
    } finally {
      await database.close();
    }
  });
  after(async () => {
    await Promise.all([directory?.stop(), mariadb?.stop()]);
    rmSync(work, { recursive: true, force: true });
  });

  let n = 0;
  /** A configuration with these logins (passwords in files, as the agent takes them). */
  function configWith(ldapPassword: string | undefined, db: DatabaseLogin): AgentConfig {
    n++;
    const ldapFile = join(work, `ldap-${n}.password`);
    const dbFile = join(work, `db-${n}.password`);
    if (ldapPassword !== undefined) writeFileSync(ldapFile, `${ldapPassword}\n`, { mode: 0o600 });
    writeFileSync(dbFile, db.password, { mode: 0o600 });
    return parseAgentConfig({
      serverId: 'mail1',
      zimbraHome: join(work, 'host'),
      stateDir: join(work, 'state'),
      aws: { region: 'us-east-1', bucket: 'backups', ingestQueueUrl: 'http://127.0.0.1:1/000/q.fifo' },
      ldap: { url: directory.url, bindDn: directory.bindDn, passwordFile: ldapFile },
      mailboxDb: { host: db.host, port: db.port, user: db.user, passwordFile: dbFile },
    });
  }

  it('passes a good LDAP login and a read-only database user, counting the mailboxes', async () => {
    const config = configWith(directory.password, mariadb.reader);
    const ldap = await ldapCheck(config);
    assert.equal(ldap.status, 'ok', ldap.detail);
    assert.match(ldap.detail, new RegExp(`bound to ${directory.url.replace(/[.]/g, '\\.')}`));
    const db = await databaseCheck(config);
    assert.equal(db.status, 'ok', db.detail);
    assert.match(db.detail, /reads zimbra\.mailbox \(3 mailboxes\), read-only/);
  });

  it('fails a wrong LDAP password and an unreadable password file, saying what to fix', async () => {
    const wrong = await ldapCheck(configWith('not-the-password', mariadb.reader));
    assert.equal(wrong.status, 'fail');
    assert.match(wrong.fix ?? '', /bindDn and the password file/);
    const missing = await ldapCheck(configWith(undefined, mariadb.reader));
    assert.equal(missing.status, 'fail');
    assert.match(missing.detail, /cannot read .*ldap-\d+\.password/);
  });

  it("flags a database user that could change the mail server's data, and fails a wrong password", async () => {
    const admin = await databaseCheck(configWith(directory.password, mariadb.admin));
    assert.equal(admin.status, 'warn', admin.detail);
    assert.match(admin.detail, /may also write: GRANT ALL PRIVILEGES/);
    const wrong = await databaseCheck(
      configWith(directory.password, { ...mariadb.reader, password: 'nope' }),
    );
    assert.equal(wrong.status, 'fail');
    assert.match(wrong.fix ?? '', /read-only user/);
  });
});
