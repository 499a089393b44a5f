import { type CommandInput, type CommandSpec, pick } from '#cli/command-spec.ts';
import { CONTROL_OPTIONS } from '#cli/specs/common-options.ts';
import { OPERATION_KINDS, OPERATION_STATES } from '#core/operation.ts';

export const OPS_OPTIONS = {
  ...CONTROL_OPTIONS,
  state: {
    type: 'string',
    value: 'STATE',
    choices: [...OPERATION_STATES, 'all'],
    help: 'only operations in this state (default: queued and running)',
  },
  kind: {
    type: 'string',
    value: 'KIND',
    choices: Object.keys(OPERATION_KINDS),
    help: 'only operations of this kind',
  },
  params: { type: 'string', value: 'JSON', help: "the operation's parameters" },
  wait: { type: 'boolean', help: 'follow it until it ends (exit 1 unless it succeeded)' },
} as const;

export type OpsCommand = 'list' | 'show' | 'monitor' | 'start' | 'stop' | 'stop-all';

const run = (name: OpsCommand) => async (input: CommandInput<typeof OPS_OPTIONS>) =>
  (await import('#cli/ops-commands.ts')).opsCommand(name, input);
const OPERATION = ['<operation>', 'an operation id (a UUID)'] as const;

/** `offsite ops …`: the operation queue. */
export const OPS_GROUP: CommandSpec = {
  name: 'ops',
  summary: 'the operations queue: list, follow, start and stop restores, scans, purges…',
  commands: [
    {
      name: 'list',
      summary: 'operations, newest first',
      options: pick(OPS_OPTIONS, ['state', 'kind', 'json', 'url', 'region']),
      examples: ['offsite ops list', 'offsite ops list --state failed --kind restore --json'],
      run: run('list'),
    },
    {
      name: 'show',
      summary: "one operation's state and progress",
      args: [OPERATION],
      options: CONTROL_OPTIONS,
      examples: ['offsite ops show 7d0e6c1a-3b1f-4c55-9a55-0f8d2c6e4b21'],
      run: run('show'),
    },
    {
      name: 'monitor',
      summary: 'live progress until it ends (exit 1 unless it succeeded)',
      args: [OPERATION],
      options: CONTROL_OPTIONS,
      examples: ['offsite ops monitor 7d0e6c1a-3b1f-4c55-9a55-0f8d2c6e4b21'],
      run: run('monitor'),
    },
    {
      name: 'start',
      summary: 'create an operation',
      args: [['<kind>', `the kind: ${Object.keys(OPERATION_KINDS).join(', ')}`]],
      options: pick(OPS_OPTIONS, ['params', 'wait', 'json', 'url', 'region']),
      examples: ['offsite ops start selftest --wait', 'offsite ops start purge --params \'{"dryRun":true}\''],
      run: run('start'),
    },
    {
      name: 'stop',
      summary: 'stop one operation (a finished one stays as it ended)',
      args: [OPERATION],
      options: CONTROL_OPTIONS,
      examples: ['offsite ops stop 7d0e6c1a-3b1f-4c55-9a55-0f8d2c6e4b21'],
      run: run('stop'),
    },
    {
      name: 'stop-all',
      summary: 'stop every queued or running operation',
      options: pick(OPS_OPTIONS, ['kind', 'json', 'url', 'region']),
      examples: ['offsite ops stop-all --kind restore'],
      run: run('stop-all'),
    },
  ],
};
