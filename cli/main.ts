// `offsite`: the operator's CLI and the agent's commands on the mail host, from one command registry.
import { armCrashPoint } from '#agent/ship/crash-point.ts';
import { EXIT, runCommandLine } from '#cli/command-registry.ts';
import { OFFSITE_COMMAND } from '#cli/specs/offsite-command.ts';
import { OffsiteError } from '#core/errors.ts';

// A reader that stops early (`| head`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

// For crash tests only: see crash-point.ts.
if (process.env.OFFSITE_AGENT_CRASH_AT) armCrashPoint(process.env.OFFSITE_AGENT_CRASH_AT);
runCommandLine(OFFSITE_COMMAND, process.argv.slice(2), {
  write: (text) => process.stdout.write(text),
  error: (text) => process.stderr.write(text),
  env: process.env,
  ...(process.stdout.isTTY ? { columns: process.stdout.columns } : {}),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Errors of ours say what to do; anything else is a defect, shown with its stack.
    const known = error instanceof OffsiteError || (error instanceof TypeError && 'code' in error);
    process.stderr.write(
      `offsite: ${known ? (error as Error).message : String((error as Error)?.stack ?? error)}\n`,
    );
    process.exitCode = EXIT.usage;
  },
);
