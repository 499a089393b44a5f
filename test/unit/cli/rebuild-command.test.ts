import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCommandLine } from '#cli/command-registry.ts';
import { OFFSITE_COMMAND } from '#cli/specs/offsite-command.ts';

/** `offsite rebuild ARGV` in this process: nothing may be written before the checks pass. */
const rebuildCommand = (argv: string[], write: (text: string) => void, env: NodeJS.ProcessEnv) =>
  runCommandLine(OFFSITE_COMMAND, ['rebuild', ...argv], { write, error: write, env });

// Every target and secret is checked before anything starts (no control API, no restore): a typo fails now.
const base = [
  '--server',
  'mail1',
  '--at',
  '2026-12-04T23:00:00Z',
  '--ldap',
  'ldap://127.0.0.1:1',
  '--mail',
  'imap://127.0.0.1:1',
  '--admin-user',
  'admin',
];
const secrets = { OFFSITE_LDAP_PASSWORD: 'l', OFFSITE_IMAP_PASSWORD: 'i', OFFSITE_DAV_PASSWORD: 'd' };
const refused = (argv: string[], env: NodeJS.ProcessEnv, message: RegExp) =>
  assert.rejects(
    rebuildCommand(argv, () => assert.fail('nothing is written'), env),
    (error: Error) => message.test(error.message),
  );

describe('offsite rebuild, before it starts', () => {
  it('needs the server, the instant, the directory, the mail server and an administrator', async () => {
    await refused(['--server', 'mail1'], secrets, /needs --server, --at, --ldap and --mail/);
    await refused(base.slice(0, -2), secrets, /--admin-user/);
  });

  it('takes passwords from the environment only, and says which is missing', async () => {
    await refused(base, { OFFSITE_IMAP_PASSWORD: 'i' }, /OFFSITE_LDAP_PASSWORD must hold the password/);
    await refused(
      [...base, '--calendar', 'caldav://127.0.0.1:1/', '--dav-user', 'u'],
      { OFFSITE_LDAP_PASSWORD: 'l', OFFSITE_IMAP_PASSWORD: 'i' },
      /OFFSITE_DAV_PASSWORD/,
    );
  });

  it('refuses a target of the wrong kind, or with credentials in it, without echoing them', async () => {
    await refused(
      [...base, '--calendar', 'carddav://127.0.0.1:1/', '--dav-user', 'u'],
      secrets,
      /caldav:\/\//,
    );
    await refused([...base, '--contacts', 'carddav://127.0.0.1:1/'], secrets, /--dav-user/);
    await assert.rejects(
      rebuildCommand(
        [
          '--server',
          'mail1',
          '--at',
          '2026-12-04T23:00:00Z',
          '--ldap',
          'ldap://cn:pw-4411@127.0.0.1',
          '--mail',
          'imap://127.0.0.1',
          '--admin-user',
          'a',
        ],
        () => undefined,
        secrets,
      ),
      (error: Error) =>
        /do not put credentials in the URL/.test(error.message) && !error.message.includes('pw-4411'),
    );
    await refused([...base.slice(0, 2), '--at', 'yesterday-ish', ...base.slice(4)], secrets, /--at /);
  });
});
