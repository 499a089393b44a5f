import { type CommandInput, type CommandSpec, command, pick } from '#cli/command-spec.ts';
import { CONFIG_OPTION } from '#cli/specs/common-options.ts';

export const AGENT_OPTIONS = {
  ...CONFIG_OPTION,
  json: { type: 'boolean', help: 'print the result as JSON' },
} as const;

export const ENROLL_OPTIONS = {
  server: { type: 'string', value: 'ID', help: "this host's server id (the agent configuration's serverId)" },
  'role-arn': {
    type: 'string',
    value: 'ARN',
    help: "the server's agent role (one entry of the stack output AgentRoles)",
  },
  roles: {
    type: 'string',
    value: 'JSON',
    help: 'the stack output AgentRoles as it is; the role of --server is taken',
  },
  profile: { type: 'string', value: 'NAME', default: 'offsite', help: 'the AWS profile to write' },
  'aws-config': {
    type: 'string',
    value: 'FILE',
    default: '~/.aws/config',
    help: 'the AWS config file to write it to',
  },
  'credential-source': {
    type: 'string',
    value: 'SOURCE',
    default: 'Ec2InstanceMetadata',
    choices: ['Ec2InstanceMetadata', 'EcsContainer', 'Environment'],
    help: "where the host's own credentials come from",
  },
  'source-profile': {
    type: 'string',
    value: 'NAME',
    help: "a profile holding the host's own credentials instead",
  },
  json: { type: 'boolean', help: 'print the result as JSON' },
} as const;

const run =
  (name: 'run' | 'ship-once' | 'ldap-dump' | 'status') => async (input: CommandInput<typeof AGENT_OPTIONS>) =>
    (await import('#cli/agent-commands.ts')).agentCommand(name, input);

/** `offsite agent …`: the daemon on the mail host and its one-shot commands. */
export const AGENT_GROUP: CommandSpec = {
  name: 'agent',
  summary: 'the agent on the mail host: ship the redo log and LDAP dumps, show its state, enroll it',
  commands: [
    {
      name: 'run',
      summary: 'follow the redo log and ship it until stopped (the systemd service runs this)',
      description:
        'Logs JSON lines on standard error. SIGTERM or SIGINT stops it after the state write in progress; SIGUSR1 asks for an LDAP dump.',
      options: pick(AGENT_OPTIONS, ['config']),
      examples: ['offsite agent run --config /etc/offsite/agent.json'],
      run: run('run'),
    },
    {
      name: 'ship-once',
      summary: 'ship what the redo log holds now, then exit (exit 1 if a gap was found)',
      options: AGENT_OPTIONS,
      examples: ['offsite agent ship-once --config /etc/offsite/agent.json --json'],
      run: run('ship-once'),
    },
    {
      name: 'ldap-dump',
      summary: 'dump the directory and ship it now (asks the running agent, if there is one)',
      options: AGENT_OPTIONS,
      examples: ['offsite agent ldap-dump --config /etc/offsite/agent.json'],
      run: run('ldap-dump'),
    },
    {
      name: 'status',
      summary: 'what the agent has read, spooled and shipped, from its state directory',
      options: AGENT_OPTIONS,
      examples: ['offsite agent status --config /etc/offsite/agent.json --json'],
      run: run('status'),
    },
    command({
      name: 'enroll',
      summary: "write the AWS profile under which this host's agent assumes its server's role",
      description:
        "Run the agent with AWS_PROFILE set to the profile written (the stack output AgentRoles names each server's role).",
      options: ENROLL_OPTIONS,
      examples: [
        'offsite agent enroll --server mail1 --role-arn arn:aws:iam::123456789012:role/offsite-agent-mail1',
        'offsite agent enroll --server mail1 --roles "$(aws cloudformation describe-stacks --stack-name Offsite --query "Stacks[0].Outputs[?OutputKey==\'AgentRoles\'].OutputValue" --output text)"',
      ],
      run: async (input) => (await import('#cli/agent-commands.ts')).enroll(input),
    }),
  ],
};
