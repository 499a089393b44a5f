import { type CommandInput, type CommandSpec, pick } from '#cli/command-spec.ts';
import { SCHEDULE_JOBS } from '#core/stack-config.ts';

export const SCHEDULE_OPTIONS = {
  'context-file': {
    type: 'string',
    value: 'FILE',
    default: 'cdk.json',
    help: 'the stack configuration (its context key "offsite")',
  },
  all: { type: 'boolean', help: 'every job' },
  json: { type: 'boolean', help: 'print the schedules as JSON' },
} as const;

const run = (name: 'show' | 'set' | 'reset') => async (input: CommandInput<typeof SCHEDULE_OPTIONS>) =>
  (await import('#cli/schedule-commands.ts')).scheduleCommand(name, input);
const JOB = ['<job>', `one of ${SCHEDULE_JOBS.join(', ')}`] as const;

export const SCHEDULE_GROUP: CommandSpec = {
  name: 'schedule',
  summary: 'the EventBridge schedules of the stack configuration (nightly scan, purge, legal holds…)',
  description:
    'A change takes effect with the next deployment (npx cdk deploy), or the next start of the local cloud.',
  commands: [
    {
      name: 'show',
      summary: 'each job, its expression and its next three firings',
      options: pick(SCHEDULE_OPTIONS, ['context-file', 'json']),
      examples: ['offsite schedule show', 'offsite schedule show --context-file deploy/cdk.json --json'],
      run: run('show'),
    },
    {
      name: 'set',
      summary: "change one job's schedule",
      args: [JOB, ['<expression>', 'rate(…), cron(…) as EventBridge takes them, or off']],
      options: pick(SCHEDULE_OPTIONS, ['context-file', 'json']),
      examples: ["offsite schedule set smartscan 'cron(30 1 * * ? *)'", 'offsite schedule set ldap-dump off'],
      run: run('set'),
    },
    {
      name: 'reset',
      summary: 'back to the default schedule',
      args: [['[job]', `one of ${SCHEDULE_JOBS.join(', ')} (or --all)`]],
      options: SCHEDULE_OPTIONS,
      examples: ['offsite schedule reset purge', 'offsite schedule reset --all'],
      run: run('reset'),
    },
  ],
};
