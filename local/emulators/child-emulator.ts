import { type ChildProcess, spawn } from 'node:child_process';
import { waitUntil } from '#local/emulators/ports.ts';
import { LocalCloudError } from '#local/errors.ts';

export interface RunningEmulator {
  readonly name: string;
  readonly endpoint: string;
  stop(): Promise<void>;
}

export interface ChildEmulatorOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly endpoint: string;
  readonly ready: () => Promise<boolean>;
  readonly startTimeoutMs: number;
  /** Said when the command is missing (ENOENT). */
  readonly missingHint: string;
}

/**
 * Starts an emulator process and waits until it answers. A missing binary, an early exit or a time-out
 * becomes a LocalCloudError quoting the last lines the process printed, never a hang.
 */
export async function startChildEmulator(options: ChildEmulatorOptions): Promise<RunningEmulator> {
  const tail: string[] = [];
  const remember = (chunk: Buffer) => {
    tail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    tail.splice(0, Math.max(0, tail.length - 15));
  };
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', remember);
  child.stderr?.on('data', remember);
  const exited = { aborted: false, reason: undefined as string | undefined };
  child.once('error', (error: NodeJS.ErrnoException) => {
    exited.aborted = true;
    exited.reason =
      error.code === 'ENOENT'
        ? `${options.name}: cannot run "${options.command}": ${options.missingHint}`
        : `${options.name}: ${error.message}`;
  });
  child.once('exit', (code, signal) => {
    exited.aborted = true;
    exited.reason ??= `${options.name} exited (${signal ?? `code ${code}`}) while starting:\n    ${tail.join('\n    ')}`;
  });
  try {
    await waitUntil(
      options.ready,
      options.startTimeoutMs,
      () =>
        `${options.name} did not answer at ${options.endpoint} within ${options.startTimeoutMs / 1000}s:\n    ${tail.join('\n    ')}`,
      exited,
    );
  } catch (error) {
    await stopChild(child);
    throw error instanceof LocalCloudError ? error : new LocalCloudError(String(error), { cause: error });
  }
  return { name: options.name, endpoint: options.endpoint, stop: () => stopChild(child) };
}

/** SIGTERM, then SIGKILL if the process has not exited after 3 s. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}
