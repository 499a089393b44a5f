import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import { s3 } from '#agent/clients/s3.ts';
import { sqs } from '#agent/clients/sqs.ts';
import { type AgentConfig, loadAgentConfig } from '#agent/config/agent-config.ts';
import { withProfile } from '#agent/config/aws-profile.ts';
import { AgentStateError } from '#agent/errors.ts';
import { createAgentLog } from '#agent/observability.ts';
import { formatAgentStatus, readAgentStatus } from '#agent/ship/agent-status.ts';
import { Shipper } from '#agent/ship/shipper.ts';
import { lockStateDir } from '#agent/ship/state-lock.ts';
import type { CommandInput } from '#cli/command-spec.ts';
import type { AGENT_OPTIONS, ENROLL_OPTIONS } from '#cli/specs/agent-group.ts';
import { OffsiteError } from '#core/errors.ts';

/** `offsite agent run|ship-once|ldap-dump|status`; returns the exit code. */
export async function agentCommand(
  command: 'run' | 'ship-once' | 'ldap-dump' | 'status',
  { values, write: out }: CommandInput<typeof AGENT_OPTIONS>,
): Promise<number> {
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
        const shippingEnded = new AbortController();
        // With the agent API configured, it also reports what it has shipped (`offsite status`).
        const dispatches = config.control
          ? Promise.all([
              import('#agent/ops/run-dispatches.ts'),
              import('#agent/ops/report-status.ts'),
              import('#agent/clients/control.ts'),
            ]).then(async ([{ runDispatches }, { reportStatus }, { control }]) => {
              const controlApi = control(config);
              if (controlApi)
                await Promise.all([
                  runDispatches(
                    { config, control: controlApi, shipper, s3: s3(config.aws), log },
                    controller.signal,
                  ),
                  // Its last report comes once shipping has ended (after the stop grace), not at the signal.
                  reportStatus({ config, control: controlApi, log }, shippingEnded.signal),
                ]);
            })
          : undefined;
        try {
          await shipper.run(controller.signal);
        } finally {
          controller.abort();
          shippingEnded.abort();
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
export async function enroll({ values, write: out }: CommandInput<typeof ENROLL_OPTIONS>): Promise<number> {
  const server = values.server;
  if (!server || !/^[A-Za-z0-9._-]{1,64}$/.test(server))
    throw new OffsiteError(
      "enroll needs --server ID (the agent configuration's serverId: letters, digits, . _ -)",
    );
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
    throw new OffsiteError(
      'enroll needs --role-arn ARN (an IAM role ARN) or --roles JSON (the stack output AgentRoles)',
    );
  const credentials = values['credential-source'] as string;
  if (
    !values['source-profile'] &&
    !['Ec2InstanceMetadata', 'EcsContainer', 'Environment'].includes(credentials)
  )
    throw new OffsiteError('--credential-source is one of Ec2InstanceMetadata, EcsContainer, Environment');
  const source: Record<string, string> = values['source-profile']
    ? { source_profile: values['source-profile'] }
    : { credential_source: credentials };
  const file = values['aws-config'].replace(/^~(?=\/)/, homedir());
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
