import { type CommandInput, type CommandSpec, pick } from '#cli/command-spec.ts';
import { CONTROL_OPTIONS } from '#cli/specs/common-options.ts';

export const RETENTION_OPTIONS = {
  ...CONTROL_OPTIONS,
  'default-days': {
    type: 'string',
    value: 'N',
    help: 'days of history kept where nothing else is set (0: everything)',
  },
  server: { type: 'string', value: 'ID', help: "set one server's retention" },
  account: { type: 'string', value: 'ACCOUNT', help: "set one account's retention (a zimbraId or a name)" },
  cos: { type: 'string', value: 'COS_ID', help: "set one class of service's retention" },
  days: { type: 'string', value: 'N', help: 'days of history to keep for the one named (0: everything)' },
  unset: { type: 'boolean', help: 'remove the setting of the one named' },
  reason: {
    type: 'string',
    value: 'TEXT',
    help: 'why the account is held (kept with the hold and in the audit)',
  },
} as const;

export type RetentionCommand =
  | 'retention show'
  | 'retention set'
  | 'hold list'
  | 'hold add'
  | 'hold release'
  | 'hold audit';

const run = (name: RetentionCommand) => async (input: CommandInput<typeof RETENTION_OPTIONS>) =>
  (await import('#cli/retention-commands.ts')).retentionCommand(name, input);
const ACCOUNT = ['<account>', 'a zimbraId or a name the catalog knows'] as const;

export const RETENTION_GROUP: CommandSpec = {
  name: 'retention',
  summary: 'how many days of history are kept, by default and per server, class of service or account',
  description:
    "An account's setting beats its class of service's, which beats its server's, which beats the default. Purges drop what no retained instant needs; an account on legal hold is never purged.",
  commands: [
    {
      name: 'show',
      summary: 'the retention policy and the legal holds',
      options: CONTROL_OPTIONS,
      examples: ['offsite retention show --json'],
      run: run('retention show'),
    },
    {
      name: 'set',
      summary: 'change the default, or one server, class of service or account',
      options: pick(RETENTION_OPTIONS, [
        'default-days',
        'server',
        'account',
        'cos',
        'days',
        'unset',
        'json',
        'url',
        'region',
      ]),
      examples: [
        'offsite retention set --default-days 90',
        'offsite retention set --account ceo@example.com --days 3650',
        'offsite retention set --server mail2 --unset',
      ],
      run: run('retention set'),
    },
  ],
};

export const HOLD_GROUP: CommandSpec = {
  name: 'hold',
  summary: 'legal holds: accounts whose history is never purged, their objects under S3 legal hold',
  description:
    "Every object a held account's history needs (redo, LDAP dumps, its scans, its bodies) carries an S3 legal hold until the last hold needing it is released (a legal-hold operation each time, and daily).",
  commands: [
    {
      name: 'list',
      summary: 'accounts on hold',
      options: CONTROL_OPTIONS,
      examples: ['offsite hold list'],
      run: run('hold list'),
    },
    {
      name: 'add',
      summary: 'place an account on legal hold',
      args: [ACCOUNT],
      options: pick(RETENTION_OPTIONS, ['reason', 'json', 'url', 'region']),
      examples: ['offsite hold add bob@example.com --reason "case 2026-114, counsel J. Doe"'],
      run: run('hold add'),
    },
    {
      name: 'release',
      summary: "release an account's hold (exit 1 if it was not held)",
      args: [ACCOUNT],
      options: CONTROL_OPTIONS,
      examples: ['offsite hold release bob@example.com'],
      run: run('hold release'),
    },
    {
      name: 'audit',
      summary: 'every hold placed and released and every retention change, with who made it',
      options: CONTROL_OPTIONS,
      examples: ['offsite hold audit --json'],
      run: run('hold audit'),
    },
  ],
};
