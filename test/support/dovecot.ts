import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const DOVECOT = '/usr/sbin/dovecot';

/** A Dovecot IMAP server of a test's own: loopback only, any user with one password, Maildir in fs layout. */
export interface Dovecot {
  port: number;
  password: string;
  /** Where each user's mail lives: `<mailRoot>/<user>/` (INBOX in `INBOX/`). */
  mailRoot: string;
  /** Gives the mail files to the user Dovecot reads them as (after a test wrote a Maildir itself). */
  adopt(): void;
  stop(): Promise<void>;
}

/**
 * A private Dovecot on loopback. Every user logs in with the one test password; with `admin`, that
 * administrator (a Dovecot master user, with a password of its own) may also act as any user: SASL PLAIN with
 * the user as authorization identity, or `user*admin` as login name.
 */
export async function startDovecot(
  dir: string,
  options: { admin?: { user: string; password: string } } = {},
): Promise<Dovecot> {
  const mailRoot = join(dir, 'mail');
  mkdirSync(join(dir, 'run'), { recursive: true });
  mkdirSync(mailRoot, { recursive: true });
  const me = userInfo();
  // As root, mail is served as nobody (Dovecot refuses uid 0 for mail); otherwise as the current user.
  const root = me.uid === 0;
  const uid = root ? 65534 : me.uid;
  const gid = root ? 65534 : me.gid;
  const port = await freePort();
  const password = 'restore-test';
  const config = join(dir, 'dovecot.conf');
  writeFileSync(
    config,
    `base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = ${root ? 'dovecot' : me.username}
default_login_user = ${root ? 'dovenull' : me.username}
default_internal_group = ${root ? 'dovecot' : me.username}
first_valid_uid = ${uid}
last_valid_uid = ${uid}
first_valid_gid = ${gid}
mail_location = maildir:${mailRoot}/%u:LAYOUT=fs:INBOX=${mailRoot}/%u/INBOX
namespace inbox {
  inbox = yes
  separator = /
}
${
  options.admin
    ? `auth_master_user_separator = *
passdb {
  driver = passwd-file
  args = ${join(dir, 'master-users')}
  master = yes
}
`
    : ''
}passdb {
  driver = static
  args = password=${password}
}
userdb {
  driver = static
  args = uid=${uid} gid=${gid} home=${mailRoot}/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
service imap-login {
  chroot =
}
`,
  );
  mkdirSync(join(dir, 'state'), { recursive: true });
  if (options.admin)
    writeFileSync(join(dir, 'master-users'), `${options.admin.user}:{PLAIN}${options.admin.password}\n`, {
      mode: 0o644,
    });
  const child: ChildProcess = spawn(DOVECOT, ['-F', '-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  // Dovecot's mail processes run as the mail user: they must be able to reach the mail root through
  // the test's temporary directories (created 0700).
  if (root) openPath(dir);
  const adopt = () => {
    if (root) chownTree(mailRoot, uid, gid);
  };
  adopt();
  const deadline = Date.now() + 15_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      const log = existsSync(join(dir, 'dovecot.log')) ? readFileSync(join(dir, 'dovecot.log'), 'utf8') : '';
      throw new Error(`dovecot did not start: ${stderr}${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    port,
    password,
    mailRoot,
    adopt,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

function openPath(dir: string): void {
  const top = resolve(tmpdir());
  for (let at = resolve(dir); at.startsWith(`${top}/`); at = dirname(at))
    chmodSync(at, statSync(at).mode | 0o055);
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  if (statSync(path).isDirectory())
    for (const name of readdirSync(path)) chownTree(join(path, name), uid, gid);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });
}

export interface ImapMessage {
  flags: string[];
  sha256: string;
  size: number;
  internaldate: string;
}

/**
 * What an independent IMAP client (Python's imaplib, not the client offsite uses) sees in a user's
 * mailbox: each folder and its messages' flags, content SHA-256 and internal date.
 */
export function imapListing(port: number, user: string, password: string): Record<string, ImapMessage[]> {
  const out = execFileSync(
    'python3',
    [join(import.meta.dirname, 'imap-listing.py'), '127.0.0.1', String(port), user, password],
    {
      encoding: 'utf8',
    },
  );
  return JSON.parse(out) as Record<string, ImapMessage[]>;
}
