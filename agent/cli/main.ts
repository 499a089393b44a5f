// `offsite`: the admin CLI and the on-host agent: `redo dump`, `agent …`, and the catalog queries.
import { parseArgs } from 'node:util';
import { AGENT_USAGE, agentCommand } from '#agent/cli/agent-commands.ts';
import { CATALOG_COMMANDS, CATALOG_USAGE, catalogCommand } from '#agent/cli/catalog-commands.ts';
import { OPS_USAGE, opsCommand } from '#agent/cli/ops-commands.ts';
import { REBUILD_USAGE, rebuildCommand } from '#agent/cli/rebuild-command.ts';
import { dumpRedo, redoFiles } from '#agent/cli/redo-dump.ts';
import { RESTORE_USAGE, restoreCommand } from '#agent/cli/restore-commands.ts';
import { RETENTION_USAGE, retentionCommand } from '#agent/cli/retention-commands.ts';
import { SCAN_USAGE } from '#agent/cli/scan-usage.ts';
import { SCHEDULE_USAGE, scheduleCommand } from '#agent/cli/schedule-commands.ts';
import { TRANSFER_USAGE, transferCommand } from '#agent/cli/transfer-commands.ts';
import { armCrashPoint } from '#agent/ship/crash-point.ts';
import { OffsiteError } from '#core/errors.ts';
import { parseTime, TIME_FORMATS } from '#core/parse-time.ts';

const USAGE = `usage: offsite redo dump <file|redolog-dir> [--json] [--mailbox N] [--from TIME] [--to TIME] [--tz ZONE]
  TIME: ${TIME_FORMATS}; without an offset it is read in --tz (an IANA zone, default UTC)
${AGENT_USAGE}
${CATALOG_USAGE}
${RESTORE_USAGE}
${REBUILD_USAGE}
${SCAN_USAGE}
${OPS_USAGE}
${SCHEDULE_USAGE}
${RETENTION_USAGE}
${TRANSFER_USAGE}`;

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
  if (group === 'agent') return agentCommand(command, rest, (text) => process.stdout.write(text));
  if (group === 'scan') {
    // Loaded on demand: the database driver is not the daemon's business (start-up time after a crash).
    const { scanCommand } = await import('#agent/cli/scan-commands.ts');
    return scanCommand(command, rest, (text) => process.stdout.write(text));
  }
  if (group === 'restore') return restoreCommand(argv.slice(1), (text) => process.stdout.write(text));
  if (group === 'rebuild') return rebuildCommand(argv.slice(1), (text) => process.stdout.write(text));
  if (group === 'ops') return opsCommand(argv.slice(1), (text) => process.stdout.write(text));
  if (group === 'retention' || group === 'hold')
    return retentionCommand(group, argv.slice(1), (text) => process.stdout.write(text));
  if (group === 'export' || group === 'import')
    return transferCommand(group, argv.slice(1), (text) => process.stdout.write(text));
  if (group === 'schedule') return scheduleCommand(argv.slice(1), (text) => process.stdout.write(text));
  if ((CATALOG_COMMANDS as readonly string[]).includes(group ?? ''))
    return catalogCommand(group as string, argv.slice(1), (text) => process.stdout.write(text));
  if (group !== 'redo' || command !== 'dump') {
    process.stderr.write(`${USAGE}\n`);
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
  if (positionals.length !== 1) throw new OffsiteError(`give exactly one file or directory\n${USAGE}`);
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
