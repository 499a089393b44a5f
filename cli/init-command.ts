import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseAgentConfig } from '#agent/config/agent-config.ts';
import { regionFrom } from '#cli/cli-clients.ts';
import type { CommandInput } from '#cli/command-spec.ts';
import type { INIT_OPTIONS } from '#cli/specs/setup-group.ts';
import { OffsiteError } from '#core/errors.ts';

export type StackOutputs = Readonly<Record<string, string>>;

/** The outputs of a `cdk deploy --outputs-file` file (stack name → outputs) or a flat object of them. */
export function outputsFromFile(file: string): StackOutputs {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new OffsiteError(`cannot read the stack outputs in ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const record = (value: unknown) =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  const top = record(parsed);
  if (!top) throw new OffsiteError(`${file} is not a JSON object of stack outputs`);
  if (typeof top.BackupBucketName === 'string') return top as StackOutputs;
  const stacks = Object.values(top)
    .map(record)
    .filter((s) => typeof s?.BackupBucketName === 'string');
  if (stacks.length !== 1)
    throw new OffsiteError(
      `${file} holds ${stacks.length} offsite stacks' outputs: give a file of one stack (cdk deploy --outputs-file)`,
    );
  return stacks[0] as StackOutputs;
}

/** A deployed stack's outputs, as CloudFormation has them. */
export async function outputsOfStack(stack: string, region: string | undefined): Promise<StackOutputs> {
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const client = new CloudFormationClient(region ? { region } : {});
  let found: { OutputKey?: string; OutputValue?: string }[] | undefined;
  try {
    found = (await client.send(new DescribeStacksCommand({ StackName: stack }))).Stacks?.[0]?.Outputs;
  } catch (error) {
    throw new OffsiteError(
      `cannot read stack ${stack}: ${(error as Error).message} (the region: --region or AWS_REGION; the identity: AWS_PROFILE)`,
      { cause: error },
    );
  }
  return Object.fromEntries((found ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
}

/** The region of an SQS queue URL of AWS (https://sqs.REGION.amazonaws.com/…), if it is one. */
export function regionOfQueueUrl(url: string): string | undefined {
  return /^https:\/\/sqs[.-]([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\//.exec(url)?.[1];
}

/** The agent configuration the stack's outputs and the options give, validated as the agent will. */
export function agentConfigFrom(
  outputs: StackOutputs,
  values: CommandInput<typeof INIT_OPTIONS>['values'],
  env: NodeJS.ProcessEnv,
): Record<string, unknown> {
  const need = (key: string) => {
    const value = outputs[key];
    if (!value)
      throw new OffsiteError(`the stack outputs have no ${key}: is this an offsite stack, deployed?`);
    return value;
  };
  if (!values.server) throw new OffsiteError("init needs --server ID (this mail server's id)");
  const queueUrl = need('IngestQueueUrl');
  const region = regionFrom(values.region ?? regionOfQueueUrl(queueUrl), env);
  if ((values['ldap-url'] === undefined) !== (values['ldap-password-file'] === undefined))
    throw new OffsiteError('--ldap-url and --ldap-password-file go together');
  if ((values['db-user'] === undefined) !== (values['db-password-file'] === undefined))
    throw new OffsiteError('--db-user and --db-password-file go together');
  const config = {
    serverId: values.server,
    zimbraHome: values['zimbra-home'],
    stateDir: values['state-dir'],
    aws: {
      region,
      bucket: need('BackupBucketName'),
      ingestQueueUrl: queueUrl,
      // The local cloud's outputs say where its S3 and SQS listen; a deployed stack's have no such key.
      ...(outputs.LocalEndpoint ? { endpoint: outputs.LocalEndpoint } : {}),
    },
    ...(outputs.AgentControlUrl ? { control: { url: outputs.AgentControlUrl } } : {}),
    ...(values['ldap-url']
      ? {
          ldap: {
            url: values['ldap-url'],
            bindDn: values['ldap-bind-dn'],
            passwordFile: values['ldap-password-file'],
          },
        }
      : {}),
    ...(values['db-user']
      ? { mailboxDb: { user: values['db-user'], passwordFile: values['db-password-file'] } }
      : {}),
  };
  parseAgentConfig(config);
  return config;
}

/** `offsite init`: writes the agent configuration (whole or not at all; an existing file only with --force). */
export async function initCommand({
  values,
  write,
  env,
}: CommandInput<typeof INIT_OPTIONS>): Promise<number> {
  if ((values.stack === undefined) === (values.outputs === undefined))
    throw new OffsiteError(
      'give --stack NAME (a deployed stack) or --outputs FILE (its outputs), one of them',
    );
  const outputs = values.outputs
    ? outputsFromFile(values.outputs)
    : await outputsOfStack(values.stack as string, values.region ?? env.AWS_REGION);
  const config = agentConfigFrom(outputs, values, env);
  const file = values.out;
  if (existsSync(file) && !values.force)
    throw new OffsiteError(`${file} exists: --force replaces it, or --out names another file`);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o640 });
  renameSync(temporary, file);
  const roles = outputs.AgentRoles ? (JSON.parse(outputs.AgentRoles) as Record<string, string>) : {};
  const role = roles[config.serverId as string];
  if (values.json)
    write(`${JSON.stringify({ file, config, ...(role ? { roleArn: role } : {}) }, null, 2)}\n`);
  else
    write(
      [
        `wrote ${file} for server ${String(config.serverId)}`,
        ...(role
          ? [
              `this server has its own role: offsite agent enroll --server ${String(config.serverId)} --role-arn ${role}`,
            ]
          : []),
        `next: offsite doctor --config ${file}`,
        '',
      ].join('\n'),
    );
  return 0;
}
