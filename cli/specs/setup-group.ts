import { type CommandSpec, command } from '#cli/command-spec.ts';
import { CONFIG_OPTION, DEFAULT_AGENT_CONFIG } from '#cli/specs/common-options.ts';

export const INIT_OPTIONS = {
  server: {
    type: 'string',
    value: 'ID',
    help: "this mail server's id (letters, digits, . _ -): its objects go under servers/ID/",
  },
  stack: {
    type: 'string',
    value: 'NAME',
    help: "read the deployed stack's outputs (CloudFormation DescribeStacks)",
  },
  outputs: {
    type: 'string',
    value: 'FILE',
    help: "read them from a file instead: `cdk deploy --outputs-file FILE`, or the local cloud's .local/outputs.json",
  },
  out: {
    type: 'string',
    value: 'FILE',
    default: DEFAULT_AGENT_CONFIG,
    help: 'the agent configuration to write',
  },
  'zimbra-home': {
    type: 'string',
    value: 'DIR',
    default: '/opt/zimbra',
    help: 'the Zimbra installation (its redolog/ is shipped)',
  },
  'state-dir': {
    type: 'string',
    value: 'DIR',
    default: '/var/lib/offsite-agent',
    help: "the agent's state and spool (the systemd unit's StateDirectory)",
  },
  region: {
    type: 'string',
    value: 'REGION',
    help: "the stack's region (default: from the queue URL, $AWS_REGION)",
  },
  'ldap-url': {
    type: 'string',
    value: 'ldap[s]://HOST[:PORT]',
    help: 'dump the directory from this LDAP server',
  },
  'ldap-bind-dn': {
    type: 'string',
    value: 'DN',
    default: 'uid=zimbra,cn=admins,cn=zimbra',
    help: 'the LDAP bind DN',
  },
  'ldap-password-file': { type: 'string', value: 'FILE', help: 'the file holding the LDAP bind password' },
  'db-user': {
    type: 'string',
    value: 'USER',
    help: "a read-only MariaDB user for scans of the server's database",
  },
  'db-password-file': { type: 'string', value: 'FILE', help: "the file holding that user's password" },
  force: { type: 'boolean', help: 'replace the file if it exists' },
  json: { type: 'boolean', help: 'print the configuration written as JSON' },
} as const;

export const DOCTOR_OPTIONS = {
  ...CONFIG_OPTION,
  json: { type: 'boolean', help: 'print every check as JSON' },
} as const;

export const INIT_COMMAND: CommandSpec = command({
  name: 'init',
  summary: "write the agent's configuration for this mail host from the deployed stack's outputs",
  description:
    'The bucket, the ingest queue, the agent API and the region come from the stack; the rest from the options. The file is validated as the agent validates it before it is written. Then: `offsite doctor --config FILE`.',
  options: INIT_OPTIONS,
  examples: [
    'offsite init --server mail1 --stack Offsite --ldap-url ldap://mail1.example.com:389 --ldap-password-file /etc/offsite/ldap.password',
    'offsite init --server mail1 --outputs outputs.json --out ./agent.json',
  ],
  run: async (input) => (await import('#cli/init-command.ts')).initCommand(input),
});

export const DOCTOR_COMMAND: CommandSpec = command({
  name: 'doctor',
  summary: 'check this mail host end to end before (or while) the agent runs; change nothing',
  description:
    "Reads the configuration, the redo log (its directory, permissions, header and version), the Zimbra version, the state directory and its free space, the clock against the cloud's, S3, the ingest queue and the agent API with this host's identity, the LDAP bind and the database user. Every failed check says what to fix. Exit 1 if one failed.",
  options: DOCTOR_OPTIONS,
  examples: [
    'offsite doctor --config /etc/offsite/agent.json',
    'offsite doctor --json   # as the user the agent runs as (zimbra)',
  ],
  run: async (input) => (await import('#cli/doctor-command.ts')).doctorCommand(input),
});
