// What every benchmark prints its table with, and the environment restic runs in against the local S3.

/** The middle value (the upper one of an even count): what the tables report, machines being noisy. */
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

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
