import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { s3 } from '#agent/clients/s3.ts';
import { sqs } from '#agent/clients/sqs.ts';
import { type AgentConfig, loadAgentConfig } from '#agent/config/agent-config.ts';
import { withProfile } from '#agent/config/aws-profile.ts';
import { AgentStateError } from '#agent/errors.ts';
import { createAgentLog } from '#agent/observability.ts';
import { formatAgentStatus, readAgentStatus } from '#agent/ship/agent-status.ts';
import { Shipper } from '#agent/ship/shipper.ts';
import { lockStateDir } from '#agent/ship/state-lock.ts';
import { OffsiteError } from '#core/errors.ts';

export const AGENT_USAGE = `usage: offsite agent run --config FILE
       offsite agent ship-once --config FILE [--json]
       offsite agent ldap-dump --config FILE [--json]
       offsite agent status --config FILE [--json]
       offsite agent enroll --server ID (--role-arn ARN | --roles JSON) [--profile offsite] [--aws-config FILE]
         [--credential-source Ec2InstanceMetadata|EcsContainer|Environment | --source-profile NAME] [--json]
  enroll writes the AWS profile that makes this host its server's agent (the stack output AgentRoles names
  each server's role); run the agent with AWS_PROFILE set to it`;

export const DEFAULT_CONFIG = '/etc/offsite/agent.json';

/** `offsite agent …`; returns the exit code. */
export async function agentCommand(
  command: string | undefined,
  args: string[],
  out: (text: string) => void,
): Promise<number> {
  if (command === 'enroll') return enroll(args, out);
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      config: { type: 'string', default: DEFAULT_CONFIG },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 0) throw new OffsiteError(`unexpected argument ${positionals[0]}\n${AGENT_USAGE}`);
  if (command === 'run' && values.json)
    throw new OffsiteError('agent run logs JSON lines already; --json does not apply');
  const config = loadAgentConfig(values.config);
  switch (command) {
    case 'run': {
      const log = createAgentLog();
      return withStateDir(config, 'agent run', async () => {
        const shipper = await Shipper.open({ config, s3: s3(config.aws), sqs: sqs(config.aws), log });
        const controller = new AbortController();
        const stop = (signal: string) => {
          log.info('stopping', { signal });
          controller.abort();
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
        // `offsite agent ldap-dump` (or `systemctl kill -s USR1 offsite-agent`) asks for a dump now.
        process.on('SIGUSR1', () => shipper.requestLdapDump());
        log.info('agent started', { serverId: config.serverId, stateDir: config.stateDir });
        // The CloudWatch client is loaded only when metrics are on (memory on the mail host).
        const metrics = config.metrics.enabled
          ? Promise.all([import('#agent/clients/cloudwatch.ts'), import('#agent/ship/lag-metrics.ts')]).then(
              ([{ cloudwatch }, { reportLag }]) =>
                reportLag(
                  {
                    cloudwatch: cloudwatch(config.aws),
                    serverId: config.serverId,
                    log,
                    lag: () => shipper.lag(),
                  },
                  config.metrics.intervalSeconds * 1000,
                  controller.signal,
                ),
            )
          : undefined;
        // Operations dispatched to this server over the control API (the nightly smart scan…), one at a time;
        // loaded only when configured, so a restart after a crash is not slowed by what it does not use.
        const dispatches = config.control
          ? import('#agent/ops/run-dispatches.ts').then(async ({ runDispatches }) => {
              const { control } = await import('#agent/clients/control.ts');
              const controlApi = control(config);
              if (controlApi)
                await runDispatches(
                  { config, control: controlApi, shipper, s3: s3(config.aws), log },
                  controller.signal,
                );
            })
          : undefined;
        try {
          await shipper.run(controller.signal);
        } finally {
          controller.abort();
          await Promise.all([metrics, dispatches]);
        }
        log.info('agent stopped');
        return 0;
      });
    }
    case 'ldap-dump': {
      const lock = await lockStateDir(config.stateDir);
      if (!lock.held) {
        process.kill(lock.pid, 'SIGUSR1');
        const text = `asked the running agent (pid ${lock.pid}) for an LDAP dump; \`offsite agent status\` shows when it is shipped`;
        out(values.json ? `${JSON.stringify({ requested: true, pid: lock.pid })}\n` : `${text}\n`);
        return 0;
      }
      try {
        const log = createAgentLog(undefined, true);
        const shipper = await Shipper.open({ config, s3: s3(config.aws), sqs: sqs(config.aws), log });
        const entry = await shipper.dumpLdap();
        await shipper.drain();
        const result = {
          key: entry.key,
          entries: entry.entries,
          bytes: entry.size,
          dumpedAt: entry.spooledAt,
        };
        out(
          values.json
            ? `${JSON.stringify(result)}\n`
            : `shipped an LDAP dump of ${result.entries} entries (${result.bytes} bytes of LDIF) to ${result.key}\n`,
        );
        return 0;
      } finally {
        await lock.release();
      }
    }
    case 'ship-once': {
      // One-shot commands log only warnings and errors (stderr); their result goes to stdout.
      const log = createAgentLog(undefined, true);
      const report = await withStateDir(config, 'agent ship-once', async () => {
        const shipper = await Shipper.open({ config, s3: s3(config.aws), sqs: sqs(config.aws), log });
        return shipper.shipOnce();
      });
      if (values.json) out(`${JSON.stringify(report)}\n`);
      else {
        out(
          `shipped ${report.announced} objects (${report.bytes} bytes stored); read up to ${report.cursor ? `sequence ${report.cursor.sequence} byte ${report.cursor.offset}` : 'nothing'}\n`,
        );
        if (report.gaps.length > 0)
          out(
            `GAPS: ${report.gaps.map((g) => `${g.fromSequence}–${g.toSequence}`).join(', ')} (rolled over and deleted before shipping)\n`,
          );
      }
      return report.gaps.length > 0 ? 1 : 0;
    }
    case 'status': {
      const status = await readAgentStatus(config);
      out(values.json ? `${JSON.stringify(status)}\n` : `${formatAgentStatus(status).join('\n')}\n`);
      return 0;
    }
    default:
      throw new OffsiteError(`unknown agent command ${command ?? '(none)'}\n${AGENT_USAGE}`);
  }
}

/** Runs `work` owning the state directory; a second agent on the same directory is refused. */
async function withStateDir<T>(config: AgentConfig, what: string, work: () => Promise<T>): Promise<T> {
  const lock = await lockStateDir(config.stateDir);
  if (!lock.held) {
    throw new AgentStateError(
      `${what}: another agent (pid ${lock.pid}) is using ${config.stateDir}; stop it first (for one-shot shipping, stop the daemon or let it ship)`,
    );
  }
  try {
    return await work();
  } finally {
    await lock.release();
  }
}

/** `offsite agent enroll`: the AWS profile under which this host's agent assumes its server's role. */
async function enroll(args: string[], out: (text: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      server: { type: 'string' },
      'role-arn': { type: 'string' },
      roles: { type: 'string' },
      profile: { type: 'string', default: 'offsite' },
      'aws-config': { type: 'string', default: join(homedir(), '.aws', 'config') },
      'credential-source': { type: 'string', default: 'Ec2InstanceMetadata' },
      'source-profile': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 0) throw new OffsiteError(`unexpected argument ${positionals[0]}\n${AGENT_USAGE}`);
  const server = values.server;
  if (!server || !/^[A-Za-z0-9._-]{1,64}$/.test(server))
    throw new OffsiteError(`enroll needs --server ID (the agent configuration's serverId)\n${AGENT_USAGE}`);
  let roleArn = values['role-arn'];
  if (!roleArn && values.roles) {
    let roles: Record<string, unknown>;
    try {
      roles = JSON.parse(values.roles) as Record<string, unknown>;
    } catch {
      throw new OffsiteError(
        '--roles takes the stack output AgentRoles as it is (JSON: server id → role ARN)',
      );
    }
    if (typeof roles[server] !== 'string')
      throw new OffsiteError(
        `the stack gives no role to server ${server}: add it to the stack configuration's servers and deploy`,
      );
    roleArn = roles[server] as string;
  }
  if (!roleArn || !/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(roleArn))
    throw new OffsiteError(`enroll needs --role-arn (an IAM role ARN) or --roles\n${AGENT_USAGE}`);
  const credentials = values['credential-source'] as string;
  if (
    !values['source-profile'] &&
    !['Ec2InstanceMetadata', 'EcsContainer', 'Environment'].includes(credentials)
  )
    throw new OffsiteError('--credential-source is one of Ec2InstanceMetadata, EcsContainer, Environment');
  const source: Record<string, string> = values['source-profile']
    ? { source_profile: values['source-profile'] }
    : { credential_source: credentials };
  const file = values['aws-config'] as string;
  const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const profile = values.profile as string;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    withProfile(before, profile, { role_arn: roleArn, ...source, role_session_name: server }),
    {
      mode: 0o600,
    },
  );
  const result = { server, profile, roleArn, file };
  out(
    values.json
      ? `${JSON.stringify(result)}\n`
      : `profile ${profile} in ${file} assumes ${roleArn} as ${server}: run the agent with AWS_PROFILE=${profile}\n`,
  );
  return 0;
}
