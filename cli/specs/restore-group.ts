import { type CommandInput, type CommandSpec, pick } from '#cli/command-spec.ts';
import {
  BUCKET_OPTION,
  CONTROL_OPTIONS,
  SELECTION_OPTIONS,
  TIME_HELP,
  TZ_OPTION,
} from '#cli/specs/common-options.ts';

const RESOLVE = ['skip', 'modify', 'replace', 'reset'] as const;

export const RESTORE_OPTIONS = {
  ...CONTROL_OPTIONS,
  ...TZ_OPTION,
  ...BUCKET_OPTION,
  ...SELECTION_OPTIONS,
  at: { type: 'string', value: 'TIME', help: 'as it was at TIME (default: now)' },
  seq: { type: 'string', value: 'N[:OFFSET]', help: 'as it was at this redo position instead of a time' },
  'skip-deletes': { type: 'boolean', help: 'keep items deleted since TIME' },
  'new-account': { type: 'string', value: 'NAME', help: 'restore into this account name instead' },
  prefix: { type: 'string', value: 'P', help: 'restore into accounts named P + the original name' },
  from: { type: 'string', value: 'TIME', help: 'deleted at or after TIME' },
  to: { type: 'string', value: 'TIME', help: 'deleted before TIME (default: now)' },
  folder: { type: 'string', value: 'NAME', help: 'the folder the items are restored into' },
  wait: { type: 'boolean', help: 'follow the operation until it ends (exit 1 unless it succeeded)' },
  'with-secrets': {
    type: 'boolean',
    help: 'password hashes too, from the LDAP dump in effect at TIME (operators only)',
  },
  apply: {
    type: 'string',
    value: 'ldap[s]://HOST[:PORT]',
    help: 'apply the restored directory to this server',
  },
  'bind-dn': { type: 'string', value: 'DN', help: 'LDAP bind DN (default: uid=zimbra,cn=admins,cn=zimbra)' },
  replace: {
    type: 'boolean',
    help: 'LDAP: replace entries that exist (default: report them, leave them alone)',
  },
  'mail-host': { type: 'string', value: 'HOST', help: "LDAP: rewrite the accounts' zimbraMailHost" },
  'password-env': { type: 'string', value: 'VAR', help: 'the environment variable holding the password' },
  'password-file': { type: 'string', value: 'FILE', help: 'the file holding the password' },
  insecure: {
    type: 'boolean',
    help: 'allow plaintext (no STARTTLS/StartTLS, plain HTTP) on a network you trust',
  },
  dir: { type: 'string', value: 'DIR', help: 'the directory to download into' },
  target: {
    type: 'string',
    value: 'TARGET',
    help: 'imap[s]://[user@]host[:port], maildir:DIR, mbox:DIR, tgz:FILE, zimbra://ADMIN@host[:port], caldav://host/PATH, carddav://host/PATH, ldap[s]://host[:port]',
  },
  'from-dir': { type: 'string', value: 'DIR', help: 'a bundle downloaded before, instead of an operation' },
  account: {
    type: 'string',
    value: 'NAME',
    multiple: true,
    help: 'only this account of the bundle (repeatable)',
  },
  'admin-user': {
    type: 'string',
    value: 'USER',
    help: 'IMAP/Zimbra: one administrator credential, SASL PLAIN acting as each account',
  },
  'master-user': { type: 'string', value: 'USER', help: 'IMAP: a Dovecot master user (user*master)' },
  user: { type: 'string', value: 'USER', help: 'CalDAV/CardDAV: the user to log in as' },
  resolve: {
    type: 'string',
    value: 'MODE',
    choices: RESOLVE,
    help: 'Zimbra: what its import does with items that exist (default: skip, so a re-run adds nothing)',
  },
  'preauth-key-env': {
    type: 'string',
    value: 'VAR',
    help: "Zimbra: the domain's preauth key, in this variable",
  },
  parallel: {
    type: 'string',
    value: 'N',
    help: 'IMAP: accounts at once, each over its own connection (default: 4)',
  },
} as const;

export type RestoreSubcommand =
  | 'point-in-time'
  | 'undelete'
  | 'item'
  | 'deleted-account'
  | 'ldap'
  | 'status'
  | 'stop'
  | 'report'
  | 'download'
  | 'apply';

const run = (sub: RestoreSubcommand) => async (input: CommandInput<typeof RESTORE_OPTIONS>) =>
  (await import('#cli/restore-commands.ts')).restoreCommand(sub, input);
const STARTING = ['json', 'url', 'region', 'tz'] as const;
const OPERATION = ['<operation>', 'the restore operation id (a UUID)'] as const;
const ACCOUNTS = [
  '[account...]',
  'accounts: a zimbraId, server:mailboxId, or a name the account had',
] as const;
const TARGET_HELP = `Targets:
  imap://[user@]host[:port] | imaps://…   each account's mail over IMAP (imap:// must upgrade with STARTTLS
                                          unless --insecure); --admin-user or --master-user, --parallel N
  maildir:DIR | mbox:DIR | tgz:FILE       files on this host
  zimbra://ADMIN@host[:port][?admin-port=7071]
                                          every item kind through Zimbra's own import (?fmt=tgz), as each
                                          account; --resolve; the administrator's password or --preauth-key-env
  caldav://host[:port]/PATH | carddav://…  one calendar or address book per source folder under PATH/<account>/
  ldap[s]://host[:port]                    the directory, parents first; --bind-dn, --replace, --mail-host
Passwords: --password-env VAR or --password-file FILE, else OFFSITE_IMAP_PASSWORD, OFFSITE_ZIMBRA_PASSWORD,
OFFSITE_DAV_PASSWORD or OFFSITE_LDAP_PASSWORD; never on the command line.`;

/** `offsite restore …`: start a restore in the cloud, follow it, read its report, download or apply its bundle. */
export const RESTORE_GROUP: CommandSpec = {
  name: 'restore',
  summary: 'restore accounts, deleted items, one item or the directory as of any instant; apply the result',
  description: `Without a subcommand: restore whole accounts as they were at TIME (or a redo position) into a bundle in the bucket, which \`restore apply\` puts on a server.\n${TIME_HELP}`,
  args: [ACCOUNTS],
  options: pick(RESTORE_OPTIONS, [
    'domain',
    'all',
    'server',
    'at',
    'seq',
    'skip-deletes',
    'new-account',
    'prefix',
    'wait',
    ...STARTING,
  ]),
  examples: [
    'offsite restore alice@example.com --at "2026-12-05 10:15" --tz Europe/Paris --wait',
    'offsite restore --domain example.com --at 2026-12-05T08:00:00Z',
    'offsite restore alice@example.com --at 2026-12-05T10:15:00Z --prefix restored-',
  ],
  run: run('point-in-time'),
  commands: [
    {
      name: 'undelete',
      summary: 'bring back the items deleted in a time window',
      description: TIME_HELP,
      args: [ACCOUNTS],
      options: pick(RESTORE_OPTIONS, [
        'from',
        'to',
        'folder',
        'domain',
        'all',
        'server',
        'new-account',
        'prefix',
        'wait',
        ...STARTING,
      ]),
      examples: [
        'offsite restore undelete alice@example.com --from "2026-12-04 09:00" --folder Recovered --wait',
      ],
      run: run('undelete'),
    },
    {
      name: 'item',
      summary: 'bring back single items as they were at a time',
      description: TIME_HELP,
      args: [
        ['<account>', 'the account'],
        ['<itemId...>', "the items' ids (offsite search shows them)"],
      ],
      options: pick(RESTORE_OPTIONS, [
        'at',
        'folder',
        'server',
        'new-account',
        'prefix',
        'wait',
        ...STARTING,
      ]),
      examples: ['offsite restore item alice@example.com 257 301 --at 2026-12-05T10:15:00Z --wait'],
      run: run('item'),
    },
    {
      name: 'deleted-account',
      summary: 'bring back an account deleted from the server, as it was just before',
      args: [['<account>', 'the account (offsite accounts --deleted lists them)']],
      options: pick(RESTORE_OPTIONS, ['server', 'new-account', 'prefix', 'wait', ...STARTING]),
      examples: ['offsite restore deleted-account bob@example.com --wait'],
      run: run('deleted-account'),
    },
    {
      name: 'ldap',
      summary: 'the directory entries of accounts, domains or everything as of a time; apply them if asked',
      description: `${TIME_HELP}\nWith --apply, the restore is followed and its directory applied to that LDAP server (parents first; an entry that exists is reported and left alone unless --replace).`,
      args: [ACCOUNTS],
      options: pick(RESTORE_OPTIONS, [
        'domain',
        'all',
        'server',
        'at',
        'with-secrets',
        'wait',
        'apply',
        'bind-dn',
        'replace',
        'mail-host',
        'password-env',
        'password-file',
        'insecure',
        ...STARTING,
      ]),
      examples: [
        'offsite restore ldap alice@example.com --at 2026-12-05T10:15:00Z --wait',
        'offsite restore ldap --all --with-secrets --apply ldaps://ldap2.example.com --password-env LDAP_PW',
      ],
      run: run('ldap'),
    },
    {
      name: 'status',
      summary: "a restore's state and progress",
      args: [OPERATION],
      options: pick(RESTORE_OPTIONS, ['wait', ...STARTING]),
      examples: ['offsite restore status 7d0e6c1a-3b1f-4c55-9a55-0f8d2c6e4b21 --wait'],
      run: run('status'),
    },
    {
      name: 'stop',
      summary: 'stop a restore',
      args: [OPERATION],
      options: pick(RESTORE_OPTIONS, STARTING),
      examples: ['offsite restore stop 7d0e6c1a-3b1f-4c55-9a55-0f8d2c6e4b21'],
      run: run('stop'),
    },
    {
      name: 'report',
      summary: 'what a restore brought back and what it could not, with the reason',
      args: [OPERATION],
      options: pick(RESTORE_OPTIONS, ['bucket', ...STARTING]),
      examples: ['offsite restore report 7d0e6c1a-3b1f-4c55-9a55-0f8d2c6e4b21 --json'],
      run: run('report'),
    },
    {
      name: 'download',
      summary: "a restore's bundle to a directory, every file's SHA-256 checked",
      args: [OPERATION],
      options: pick(RESTORE_OPTIONS, ['dir', 'bucket', ...STARTING]),
      examples: ['offsite restore download 7d0e6c1a-3b1f-4c55-9a55-0f8d2c6e4b21 --dir /srv/restore'],
      run: run('download'),
    },
    {
      name: 'apply',
      summary: "put a restore's bundle on a server or into files",
      more: TARGET_HELP,
      args: [['[operation]', 'the restore operation id (or --from-dir)']],
      options: {
        ...pick(RESTORE_OPTIONS, [
          'from-dir',
          'account',
          'admin-user',
          'master-user',
          'user',
          'password-env',
          'password-file',
          'insecure',
          'parallel',
          'resolve',
          'preauth-key-env',
          'bind-dn',
          'replace',
          'mail-host',
          'bucket',
          ...STARTING,
        ]),
        to: RESTORE_OPTIONS.target,
      },
      examples: [
        'offsite restore apply 7d0e6c1a-3b1f-4c55-9a55-0f8d2c6e4b21 --to imaps://mail2.example.com --admin-user admin --password-env IMAP_PW',
        'offsite restore apply --from-dir /srv/restore --to maildir:/srv/maildirs',
        'offsite restore apply 7d0e6c1a-3b1f-4c55-9a55-0f8d2c6e4b21 --to zimbra://admin@mail2.example.com --resolve skip',
      ],
      run: run('apply'),
    },
  ],
};
