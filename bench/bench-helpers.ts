// The local cloud a benchmark runs on, and the environment restic runs in against the local S3.
import { type Backend, type LocalCloud, startLocalCloud } from '#local/local-cloud.ts';

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

/** The local cloud's credentials, and a repository password: restic reads both from the environment. */
export const RESTIC_ENV = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_DEFAULT_REGION: 'us-east-1',
  RESTIC_PASSWORD: 'bench',
};
