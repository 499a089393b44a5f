// `offsite`: the admin CLI and the on-host agent: `redo dump`, `agent …`, and the catalog queries.
import { parseArgs } from 'node:util';
import { armCrashPoint } from '#agent/ship/crash-point.ts';
import { OffsiteError } from '#core/errors.ts';
import { parseTime, TIME_FORMATS } from '#core/parse-time.ts';

// Each command group is loaded when it is used: the agent's daemon on a mail host loads the shipping code, not
// the restore clients, the database driver or the catalog queries (memory, and start-up after a crash).
const write = (text: string) => process.stdout.write(text);

/** Every group's usage: loads them all, which only a usage error or a request for help needs. */
async function usage(): Promise<string> {
  const [agent, catalog, ops, rebuild, restore, retention, scan, schedule, transfer] = await Promise.all([
    import('#agent/cli/agent-commands.ts'),
    import('#agent/cli/catalog-commands.ts'),
    import('#agent/cli/ops-commands.ts'),
    import('#agent/cli/rebuild-command.ts'),
    import('#agent/cli/restore-commands.ts'),
    import('#agent/cli/retention-commands.ts'),
    import('#agent/cli/scan-usage.ts'),
    import('#agent/cli/schedule-commands.ts'),
    import('#agent/cli/transfer-commands.ts'),
  ]);
  return `usage: offsite redo dump <file|redolog-dir> [--json] [--mailbox N] [--from TIME] [--to TIME] [--tz ZONE]
  TIME: ${TIME_FORMATS}; without an offset it is read in --tz (an IANA zone, default UTC)
${agent.AGENT_USAGE}
${catalog.CATALOG_USAGE}
${restore.RESTORE_USAGE}
${rebuild.REBUILD_USAGE}
${scan.SCAN_USAGE}
${ops.OPS_USAGE}
${schedule.SCHEDULE_USAGE}
${retention.RETENTION_USAGE}
${transfer.TRANSFER_USAGE}`;
}

function timeOption(value: string | undefined, flag: string, zone: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseTime(value, zone === undefined ? {} : { zone });
  } catch (error) {
    throw new OffsiteError(`${flag} ${(error as Error).message}`, { cause: error });
  }
}

async function main(argv: string[]): Promise<number> {
  const [group, command, ...rest] = argv;
  switch (group) {
    case 'agent':
      return (await import('#agent/cli/agent-commands.ts')).agentCommand(command, rest, write);
    case 'scan':
      return (await import('#agent/cli/scan-commands.ts')).scanCommand(command, rest, write);
    case 'restore':
      return (await import('#agent/cli/restore-commands.ts')).restoreCommand(argv.slice(1), write);
    case 'rebuild':
      return (await import('#agent/cli/rebuild-command.ts')).rebuildCommand(argv.slice(1), write);
    case 'ops':
      return (await import('#agent/cli/ops-commands.ts')).opsCommand(argv.slice(1), write);
    case 'retention':
    case 'hold':
      return (await import('#agent/cli/retention-commands.ts')).retentionCommand(group, argv.slice(1), write);
    case 'export':
    case 'import':
      return (await import('#agent/cli/transfer-commands.ts')).transferCommand(group, argv.slice(1), write);
    case 'schedule':
      return (await import('#agent/cli/schedule-commands.ts')).scheduleCommand(argv.slice(1), write);
  }
  if (group !== 'redo' || command !== 'dump') {
    const { CATALOG_COMMANDS, catalogCommand } = await import('#agent/cli/catalog-commands.ts');
    if ((CATALOG_COMMANDS as readonly string[]).includes(group ?? ''))
      return catalogCommand(group as string, argv.slice(1), write);
    process.stderr.write(`${await usage()}\n`);
    return 2;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      mailbox: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      tz: { type: 'string' },
    },
  });
  if (positionals.length !== 1)
    throw new OffsiteError(`give exactly one file or directory\n${await usage()}`);
  const mailboxId = values.mailbox === undefined ? undefined : Number(values.mailbox);
  if (mailboxId !== undefined && !Number.isInteger(mailboxId)) {
    throw new OffsiteError(`--mailbox ${JSON.stringify(values.mailbox)} is not a mailbox id (an integer)`);
  }
  const options = {
    json: values.json ?? false,
    ...(mailboxId !== undefined ? { mailboxId } : {}),
    ...(values.from !== undefined ? { from: timeOption(values.from, '--from', values.tz) } : {}),
    ...(values.to !== undefined ? { to: timeOption(values.to, '--to', values.tz) } : {}),
  };
  const { dumpRedo, redoFiles } = await import('#agent/cli/redo-dump.ts');
  const counts = await dumpRedo(redoFiles(positionals[0] as string), options, (line) =>
    process.stdout.write(`${line}\n`),
  );
  if (!options.json) {
    process.stderr.write(
      `${counts.shown} of ${counts.records} records shown; ${counts.unparsed} unparsed ranges; ${counts.incomplete} incomplete tails\n`,
    );
  }
  return counts.unparsed > 0 ? 1 : 0;
}

// A reader that stops early (`| head`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

// For crash tests only: see crash-point.ts.
if (process.env.OFFSITE_AGENT_CRASH_AT) armCrashPoint(process.env.OFFSITE_AGENT_CRASH_AT);
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const known = error instanceof OffsiteError || (error instanceof TypeError && 'code' in error);
    process.stderr.write(
      `offsite: ${known ? (error as Error).message : String((error as Error)?.stack ?? error)}\n`,
    );
    process.exitCode = 2;
  },
);
