// What every benchmark prints its table with, the local cloud it runs on, and the environment restic runs in
// against the local S3.
import { type Backend, type LocalCloud, startLocalCloud } from '#local/local-cloud.ts';

/** The middle value (the upper one of an even count): what the tables report, machines being noisy. */
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** The `p`th percentile (nearest rank): p99 of 200 samples is the second largest. */
export function percentile(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** The local cloud on any free ports, without schedules: what a benchmark measures against. */
export function startBenchCloud(
  backend: Backend,
  workDir: string,
  context?: Record<string, unknown>,
): Promise<LocalCloud> {
  return startLocalCloud({
    backend,
    workDir,
    ports: { sqsS3: 0, dynamodb: 0, moto: 0, functionUrl: 0 },
    schedules: false,
    ...(context ? { context } : {}),
  });
}

export const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export const MB = 1_000_000;

/** The local cloud's credentials, and a repository password: restic reads both from the environment. */
export const RESTIC_ENV = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_DEFAULT_REGION: 'us-east-1',
  RESTIC_PASSWORD: 'bench',
};
