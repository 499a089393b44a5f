import { type CommandInput, type CommandSpec, pick } from '#cli/command-spec.ts';
import { CONFIG_OPTION } from '#cli/specs/common-options.ts';

export const SCAN_OPTIONS = {
  ...CONFIG_OPTION,
  all: { type: 'boolean', help: 'every mailbox of the server' },
  account: { type: 'string', value: 'NAME', multiple: true, default: [], help: 'an account (repeatable)' },
  domain: {
    type: 'string',
    value: 'NAME',
    multiple: true,
    default: [],
    help: "a domain's accounts (repeatable)",
  },
  verify: { type: 'boolean', help: 'smart scan: read every named mailbox, changed or not' },
  restart: { type: 'boolean', help: 'start over instead of resuming an interrupted scan' },
  json: { type: 'boolean', help: 'print the report as JSON' },
} as const;

const run = (kind: 'full' | 'smart') => async (input: CommandInput<typeof SCAN_OPTIONS>) =>
  (await import('#cli/scan-commands.ts')).scanCommand(kind, input);

/** `offsite scan full|smart`: on the mail host, with the agent's configuration. */
export const SCAN_GROUP: CommandSpec = {
  name: 'scan',
  summary: "scan the server's database and blob store into the backup (on the mail host)",
  description:
    'A scan states what each mailbox holds (items, folders, tags, bodies) so that the index can be checked and repaired. It ships the redo log meanwhile, so stop the agent daemon first or dispatch a smartscan operation to it. Exit 1 when a problem was found.',
  commands: [
    {
      name: 'full',
      summary: 'read every named mailbox',
      options: pick(SCAN_OPTIONS, ['config', 'all', 'account', 'domain', 'restart', 'json']),
      examples: [
        'offsite scan full --config /etc/offsite/agent.json --all',
        'offsite scan full --account alice@example.com',
      ],
      run: run('full'),
    },
    {
      name: 'smart',
      summary: 'only mailboxes changed since their last scan (or last scanned over scan.verifyDays ago)',
      options: SCAN_OPTIONS,
      examples: ['offsite scan smart --all', 'offsite scan smart --domain example.com --verify --json'],
      run: run('smart'),
    },
  ],
};
