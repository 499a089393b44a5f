import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { LocalCloud } from '#local/local-cloud.ts';
import type { RunningMariaDb } from '#local/mail-host/mariadb-server.ts';

/** The `offsite` CLI of this tree, run as a user would (a child process with the pinned Node). */
export const OFFSITE_CLI = fileURLToPath(import.meta.resolve('#cli/main.ts'));

/** Credentials the local emulators accept, from the environment as on a host. */
export const LOCAL_AWS_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
};

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `offsite …` without blocking this process (emulators may live in it); never throws on exit codes. */
export async function offsite(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [OFFSITE_CLI, ...args], {
      env: { ...LOCAL_AWS_ENV, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/**
 * `offsite … --json` that ran (exit 0, or 1 for a finding such as a failed drill), its answer parsed; a usage
 * error or a command that could not start (exit 2) fails the test with its stderr.
 */
export async function offsiteJson<T>(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; body: T; stderr: string }> {
  const out = await offsite([...args, '--json'], env);
  assert.ok(out.code === 0 || out.code === 1, `offsite ${args.join(' ')}: exit ${out.code} ${out.stderr}`);
  return { code: out.code, body: JSON.parse(out.stdout) as T, stderr: out.stderr };
}

/** `offsite agent run` in the background, its log (stderr) collected. */
export interface RunningAgent {
  pid: number;
  log(): string;
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

export function startAgent(configFile: string, env: NodeJS.ProcessEnv = {}): RunningAgent {
  const child = spawn(process.execPath, [OFFSITE_CLI, 'agent', 'run', '--config', configFile], {
    env: { ...LOCAL_AWS_ENV, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    pid: child.pid as number,
    log: () => stderr,
    exited,
    kill: (signal) => {
      child.kill(signal);
      return exited;
    },
  };
}

/**
 * Writes an agent configuration file for the local cloud: `aws` points at its bucket, ingest queue and
 * endpoint unless `fields.aws` overrides a key. Returns the file.
 */
export function writeAgentConfig(
  file: string,
  cloud: LocalCloud,
  fields: Record<string, unknown> & { aws?: Record<string, unknown> },
): string {
  const aws = {
    region: 'us-east-1',
    bucket: cloud.outputs.BackupBucketName,
    ingestQueueUrl: cloud.outputs.IngestQueueUrl,
    endpoint: cloud.endpoints.s3,
    ...fields.aws,
  };
  writeFileSync(file, JSON.stringify({ ...fields, aws }));
  return file;
}

/** The agent's `mailboxDb` section for a test's MariaDB: its read-only login, the password in a file of `dir`. */
export function mailboxDbConfig(dir: string, mariadb: RunningMariaDb): Record<string, unknown> {
  const passwordFile = join(dir, 'db-password');
  writeFileSync(passwordFile, mariadb.reader.password, { mode: 0o600 });
  return { host: mariadb.reader.host, port: mariadb.reader.port, user: mariadb.reader.user, passwordFile };
}
