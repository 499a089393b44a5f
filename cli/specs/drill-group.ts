import { type CommandInput, type CommandSpec, pick } from '#cli/command-spec.ts';
import { CONTROL_OPTIONS, TZ_OPTION } from '#cli/specs/common-options.ts';

export const DRILL_OPTIONS = {
  ...CONTROL_OPTIONS,
  ...TZ_OPTION,
  accounts: { type: 'string', value: 'N', help: 'accounts restored, picked at random (default: 2)' },
  days: {
    type: 'string',
    value: 'D',
    help: 'instants picked at random within the last D days (default: 7)',
  },
  server: { type: 'string', value: 'ID', multiple: true, help: 'only accounts of this server (repeatable)' },
  seed: {
    type: 'string',
    value: 'N',
    help: 'the random seed (the same seed and index pick the same accounts)',
  },
  pick: {
    type: 'string',
    value: 'ACCOUNT=TIME',
    multiple: true,
    help: 'restore this account at this instant instead of picking at random (repeatable)',
  },
  wait: { type: 'boolean', help: 'follow the drill until it ends (exit 1 unless it passed)' },
  since: { type: 'string', value: 'YYYY-MM-DD', help: 'drills from this date on (default: all kept)' },
  limit: { type: 'string', value: 'N', help: 'at most N drills, newest first (default: 30)' },
  verify: {
    type: 'boolean',
    help: 'check the signature of every attestation shown (exit 1 if one does not verify)',
  },
  'public-key': {
    type: 'string',
    value: 'FILE',
    help: "verify with this PEM public key (e.g. from aws kms get-public-key) instead of the deployment's",
  },
} as const;

export type DrillCommand = 'run' | 'list' | 'show';

const run = (name: DrillCommand) => async (input: CommandInput<typeof DRILL_OPTIONS>) =>
  (await import('#cli/drill-commands.ts')).drillCommand(name, input);

/** `offsite drill …`: restore drills and their signed attestations. */
export const DRILL_GROUP: CommandSpec = {
  name: 'drill',
  summary: 'restore drills: accounts restored at random instants, checked, and attested (signed)',
  description:
    'A drill restores accounts in the cloud as a restore would, reads every body back and checks it against the digests the index and the mail server recorded, compares every item with what the index holds at the instant, and writes a signed attestation under drills/<date>/ in the bucket. The daily schedule runs one (offsite schedule list).',
  commands: [
    {
      name: 'run',
      summary: 'start a drill now',
      options: pick(DRILL_OPTIONS, [
        'accounts',
        'days',
        'server',
        'seed',
        'pick',
        'tz',
        'wait',
        'json',
        'url',
        'region',
      ]),
      examples: [
        'offsite drill run --wait',
        'offsite drill run --accounts 5 --days 30 --server mail1',
        'offsite drill run --pick "alice@example.com=2026-12-05 10:15" --tz Europe/Paris --wait',
      ],
      run: run('run'),
    },
    {
      name: 'list',
      summary: 'drills kept in the bucket, newest first (exit 1 if one failed)',
      options: pick(DRILL_OPTIONS, ['since', 'limit', 'verify', 'public-key', 'json', 'url', 'region']),
      examples: ['offsite drill list', 'offsite drill list --since 2026-11-01 --verify --json'],
      run: run('list'),
    },
    {
      name: 'show',
      summary: "one drill's evidence: accounts, instants, counts, every mismatch",
      args: [['<drill>', 'a drill id (its operation id, a UUID)']],
      options: pick(DRILL_OPTIONS, ['verify', 'public-key', 'json', 'url', 'region']),
      examples: [
        'offsite drill show 7d0e6c1a-3b1f-4c55-9a55-0f8d2c6e4b21 --verify',
        'offsite drill show 7d0e6c1a-3b1f-4c55-9a55-0f8d2c6e4b21 --verify --public-key drill-key.pem',
      ],
      run: run('show'),
    },
  ],
};
