import { type CommandInput, type CommandSpec, pick } from '#cli/command-spec.ts';
import { CONTROL_OPTIONS, SELECTION_OPTIONS, TIME_HELP, TZ_OPTION } from '#cli/specs/common-options.ts';

export const TRANSFER_OPTIONS = {
  ...CONTROL_OPTIONS,
  ...TZ_OPTION,
  ...SELECTION_OPTIONS,
  at: { type: 'string', value: 'TIME', help: 'the accounts as they were at TIME (default: now)' },
  to: {
    type: 'string',
    value: 's3://BUCKET/PREFIX',
    help: 'where the export goes: under exports/ in the backup bucket, or in a transfer bucket of the stack (default: exports/<operation>/)',
  },
  wait: {
    type: 'boolean',
    help: 'follow it until it ends (import: until every mailbox is indexed); exit 1 unless it succeeded',
  },
} as const;

const run = (kind: 'export' | 'import') => async (input: CommandInput<typeof TRANSFER_OPTIONS>) =>
  (await import('#cli/transfer-commands.ts')).transferCommand(kind, input);

export const EXPORT_COMMAND: CommandSpec = {
  name: 'export',
  summary: 'a self-contained copy of accounts as they were at a time, to S3',
  description: `The copy holds a manifest, the mailboxes, the directory and every body once, compressed; \`offsite import\` brings it into another deployment.\n${TIME_HELP}`,
  args: [['[account...]', 'accounts (zimbraId, server:mailboxId or a name)']],
  options: pick(TRANSFER_OPTIONS, [
    'domain',
    'all',
    'server',
    'at',
    'to',
    'wait',
    'tz',
    'json',
    'url',
    'region',
  ]),
  examples: [
    'offsite export alice@example.com --at "2026-11-20 10:15" --tz Europe/Paris --wait',
    'offsite export --domain example.com --to s3://partner-transfer/2026-11/ --wait',
  ],
  run: run('export'),
};

export const IMPORT_COMMAND: CommandSpec = {
  name: 'import',
  summary: 'bring an export into a deployment that backs up none of its servers',
  description:
    'The directory first, then the mailboxes; --wait also waits until the indexer has applied every mailbox.',
  args: [['<s3-url>', 'the export: s3://BUCKET/PREFIX']],
  options: pick(TRANSFER_OPTIONS, ['wait', 'json', 'url', 'region']),
  examples: ['offsite import s3://partner-transfer/2026-11/ --wait'],
  run: run('import'),
};
