import { type CommandInput, type CommandSpec, command, pick } from '#cli/command-spec.ts';
import { BUCKET_OPTION, CONTROL_OPTIONS, TIME_HELP, TZ_OPTION } from '#cli/specs/common-options.ts';
import { SEARCH_TYPES } from '#core/control-api.ts';

export const CATALOG_OPTIONS = {
  ...CONTROL_OPTIONS,
  ...TZ_OPTION,
  server: { type: 'string', value: 'ID', help: 'one server (default: every server)' },
  scan: { type: 'string', value: 'SCAN_ID', help: 'one scan' },
  'max-lag': {
    type: 'string',
    value: 'SECONDS',
    help: 'exit 1 when a server is further behind, or its agent silent, for longer than this',
  },
  from: { type: 'string', value: 'TIME', help: 'from this time' },
  to: { type: 'string', value: 'TIME', help: 'up to this time' },
  at: { type: 'string', value: 'TIME', help: 'as of this time (default: now)' },
  deleted: { type: 'boolean', help: 'deleted ones too' },
  history: { type: 'boolean', help: 'every state the item went through, not only the last' },
  'dump-blob': {
    type: 'string',
    value: 'FILE',
    help: "write the item's body to FILE, read from the bucket and checked",
  },
  ...BUCKET_OPTION,
  type: { type: 'string', value: 'TYPE', choices: SEARCH_TYPES, default: 'message', help: 'the item type' },
  folder: { type: 'string', value: 'ID', help: 'only in this folder' },
  subject: { type: 'string', value: 'TEXT', help: 'the subject contains TEXT' },
  attachment: { type: 'string', value: 'NAME', help: 'has an attachment named NAME' },
  before: { type: 'string', value: 'TIME', help: 'received before TIME' },
  after: { type: 'string', value: 'TIME', help: 'received after TIME' },
} as const;

export type CatalogCommand =
  | 'status'
  | 'backup list'
  | 'scans'
  | 'accounts'
  | 'domains'
  | 'mailbox'
  | 'item'
  | 'search'
  | 'quarantine';

const run = (name: CatalogCommand) => async (input: CommandInput<typeof CATALOG_OPTIONS>) =>
  (await import('#cli/catalog-commands.ts')).catalogCommand(name, input);
const ACCOUNT = [
  '<account>',
  'an account id (zimbraId), server:mailboxId, or a name the account had',
] as const;
const QUERY = ['json', 'url', 'region', 'tz'] as const;

export const BACKUP_OPTIONS = {
  ...CONTROL_OPTIONS,
  server: { type: 'string', value: 'ID', multiple: true, help: 'a server (repeatable)' },
  from: { type: 'string', value: 'SEQ', help: 'reindex from this redo file sequence' },
  wait: { type: 'boolean', help: 'wait until every server has caught up (exit 1 if one stopped at a gap)' },
  'accept-loss': { type: 'boolean', help: 'go on although the missing redo is lost for good' },
  'timeout-seconds': {
    type: 'string',
    value: 'N',
    default: '120',
    help: 'how long to wait for the indexer',
  },
} as const;

export const BRIDGE_OPTIONS = {
  server: { type: 'string', value: 'ID', help: 'the server whose indexing waits at a gap' },
  ...pick(BACKUP_OPTIONS, ['accept-loss', 'timeout-seconds', 'json', 'url', 'region']),
} as const;

export const REINDEX_OPTIONS = pick(BACKUP_OPTIONS, ['server', 'from', 'wait', 'json', 'url', 'region']);

export const BACKUP_GROUP: CommandSpec = {
  name: 'backup',
  summary: 'what is backed up: restore points per server; index repair (bridge a lost segment, reindex)',
  commands: [
    {
      name: 'list',
      summary: "each server's restore points: redo ranges, LDAP dumps, gaps, quarantines, indexing state",
      description: TIME_HELP,
      options: pick(CATALOG_OPTIONS, ['server', 'from', 'to', ...QUERY]),
      examples: ['offsite backup list', 'offsite backup list --server mail1 --from 2026-11-20 --json'],
      run: run('backup list'),
    },
    command({
      name: 'bridge',
      summary: "let a server's indexing go on past a segment lost for good (then rescan its mailboxes)",
      options: BRIDGE_OPTIONS,
      examples: [
        'offsite backup bridge --server mail1',
        'offsite backup bridge --server mail1 --accept-loss',
      ],
      run: async (input) => (await import('#cli/bridge-command.ts')).bridgeCommand(input),
    }),
    command({
      name: 'reindex',
      summary: "rebuild servers' index from what the bucket holds (after an upgrade, or a lost table)",
      options: REINDEX_OPTIONS,
      examples: [
        'offsite backup reindex --server mail1 --wait',
        'offsite backup reindex --server mail1 --server mail2',
      ],
      run: async (input) => (await import('#cli/reindex-command.ts')).reindexCommand(input),
    }),
  ],
};

/** The catalog queries: each a top-level command. */
export const CATALOG_COMMANDS: readonly CommandSpec[] = [
  {
    name: 'status',
    summary:
      'is my backup current? per server: what the agent shipped, what the index applied, the difference',
    description:
      "The agent reports what it announced to the agent API as it ships (with `control` in its configuration); the index's position is where indexing stands. Behind: the redo bytes and seconds between the two. Exit 1 when indexing is held at a gap or a quarantine, the agent lost redo, or (with --max-lag) an agent was silent or the index behind for longer.",
    options: pick(CATALOG_OPTIONS, ['server', 'max-lag', 'json', 'url', 'region']),
    examples: ['offsite status', 'offsite status --server mail1 --json', 'offsite status --max-lag 300'],
    run: run('status'),
  },
  {
    name: 'scans',
    summary: 'what each scan found wrong in the index and fixed',
    options: pick(CATALOG_OPTIONS, ['server', 'scan', ...QUERY]),
    examples: ['offsite scans --server mail1', 'offsite scans --scan full-2026-11-20T01:30:00Z --json'],
    run: run('scans'),
  },
  {
    name: 'accounts',
    summary: 'the accounts the backup knows, as of a time',
    description: TIME_HELP,
    options: pick(CATALOG_OPTIONS, ['at', 'deleted', ...QUERY]),
    examples: ['offsite accounts', 'offsite accounts --at "2026-11-19 10:15" --tz Europe/Paris --deleted'],
    run: run('accounts'),
  },
  {
    name: 'domains',
    summary: 'the domains, as of a time',
    description: TIME_HELP,
    options: pick(CATALOG_OPTIONS, ['at', ...QUERY]),
    examples: ['offsite domains --json'],
    run: run('domains'),
  },
  {
    name: 'mailbox',
    summary: "a mailbox's folders and what they held, as of a time",
    description: TIME_HELP,
    args: [ACCOUNT],
    options: pick(CATALOG_OPTIONS, ['at', ...QUERY]),
    examples: ['offsite mailbox alice@example.com --at 2026-11-20T10:15:00Z'],
    run: run('mailbox'),
  },
  {
    name: 'item',
    summary: "one item's state (or its whole history), and its body if asked",
    args: [ACCOUNT, ['<itemId>', "the item's id in the mailbox"]],
    options: pick(CATALOG_OPTIONS, ['history', 'dump-blob', 'bucket', ...QUERY]),
    examples: [
      'offsite item alice@example.com 257 --history',
      'offsite item alice@example.com 257 --dump-blob /tmp/257.eml',
    ],
    run: run('item'),
  },
  {
    name: 'search',
    summary: 'find items in a mailbox as of a time (deleted ones too, with --deleted)',
    description: TIME_HELP,
    args: [ACCOUNT],
    options: {
      ...pick(CATALOG_OPTIONS, [
        'at',
        'type',
        'folder',
        'subject',
        'attachment',
        'before',
        'after',
        'deleted',
        ...QUERY,
      ]),
      from: {
        type: 'string',
        value: 'TEXT',
        help: "the sender (a contact's address, an organizer, an author) contains TEXT",
      },
      to: { type: 'string', value: 'TEXT', help: 'a recipient (To or Cc) contains TEXT' },
    },
    examples: [
      'offsite search alice@example.com --subject invoice --after 2026-11-01',
      'offsite search alice@example.com --type appointment --deleted --json',
    ],
    run: run('search'),
  },
  {
    name: 'quarantine',
    summary: 'what coherency checks moved to quarantine/, and why',
    options: CONTROL_OPTIONS,
    examples: ['offsite quarantine --json'],
    run: run('quarantine'),
  },
];
