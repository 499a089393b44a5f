import { z } from 'zod';
import { ValidationError } from '#core/errors.ts';
import { parseSchedule } from '#core/schedule-expression.ts';
import { parseOrThrow } from '#core/validation.ts';

/** A job that has no rule. */
export const SCHEDULE_OFF = 'off';

/**
 * EventBridge schedule expression: rate(...) or a 6-field cron(...), or `off` (no rule). Checked deeply by the
 * local scheduler too.
 */
const scheduleExpression = z.string().superRefine((expression, ctx) => {
  if (expression === SCHEDULE_OFF) return;
  try {
    parseSchedule(expression);
  } catch (error) {
    ctx.addIssue({
      code: 'custom',
      message: error instanceof ValidationError ? (error.issues[0] ?? error.message) : String(error),
    });
  }
});

export const SCHEDULE_JOBS = [
  'smartscan',
  'purge',
  'coherency',
  'ldap-dump',
  'legal-hold',
  'drill',
  'sweep',
] as const;
export type ScheduleJob = (typeof SCHEDULE_JOBS)[number];

/**
 * Defaults mirror the usual mail-backup cadence: nightly SmartScan, weekly purge, monthly coherency; a daily
 * restore drill after the nightly scan (two accounts at random instants of the last week, restored, checked
 * and attested; an empty index has nothing to drill and succeeds at once); a daily
 * legal-hold pass that flags what held accounts gained since (the bucket's Object Lock keeps a new object
 * meanwhile, as long as its days outnumber the days between passes); and every 30 minutes a sweep that fails
 * operations stalled past `operationStallHours` (it starts no operation). The agents dump LDAP on their own
 * interval, so an `ldap-dump` operation is on demand unless scheduled here. A fresh deployment's defaults
 * start no operation that can only fail.
 */
export const DEFAULT_SCHEDULES: Record<ScheduleJob, string> = {
  smartscan: 'cron(0 2 * * ? *)',
  purge: 'cron(0 4 ? * SUN *)',
  coherency: 'cron(0 5 1 * ? *)',
  'ldap-dump': SCHEDULE_OFF,
  'legal-hold': 'cron(30 3 * * ? *)',
  drill: 'cron(0 6 * * ? *)',
  sweep: 'rate(30 minutes)',
};

const objectLock = z.strictObject({
  mode: z.enum(['GOVERNANCE', 'COMPLIANCE']),
  days: z.number().int().min(1).max(36500),
});

export const stackConfigSchema = z.strictObject({
  /**
   * Object Lock on the backup bucket: every object version it holds (but the short-lived `operations/` ones) is
   * kept from deletion and overwrite this many days after it was written. On by default (GOVERNANCE, 30 days:
   * an operator with s3:BypassGovernanceRetention can still delete; COMPLIANCE: nobody can). It can be turned on
   * for an existing bucket, never off again. `false`: no lock.
   */
  objectLock: z.union([objectLock, z.literal(false)]).default({ mode: 'GOVERNANCE', days: 30 }),
  /**
   * Packs of bodies (`packs/`) move to a colder storage class this many days after they were written: Glacier
   * Instant Retrieval by default (about a sixth of Standard's price, read in milliseconds like Standard; 90 days
   * minimum, which a repack within them still pays). Only packs over 128 KiB move (the classes bill less as
   * 128 KiB). `false`: packs stay in Standard.
   */
  coldPacks: z
    .union([
      z.strictObject({
        days: z.number().int().min(1).max(3650),
        storageClass: z.enum(['GLACIER_IR', 'STANDARD_IA', 'INTELLIGENT_TIERING']),
      }),
      z.literal(false),
    ])
    .default({ days: 30, storageClass: 'GLACIER_IR' }),
  /**
   * The index table's class. Its items grow with the mail and its history (~2.3 KB per message received) and
   * are read rarely: STANDARD_INFREQUENT_ACCESS stores them at 40% of the price and bills writes 25% more,
   * cheaper once a table is kept longer than about eight months. Changing it later is an in-place update.
   */
  indexTableClass: z.enum(['STANDARD', 'STANDARD_INFREQUENT_ACCESS']).default('STANDARD'),
  /** Days before a non-current object version (after purge or overwrite) is removed for good. */
  noncurrentVersionDays: z.number().int().min(1).max(3650).default(30),
  /** CloudWatch Logs retention for every function, in days. */
  logRetentionDays: z
    .union([
      z.literal(1),
      z.literal(3),
      z.literal(5),
      z.literal(7),
      z.literal(14),
      z.literal(30),
      z.literal(60),
      z.literal(90),
      z.literal(180),
      z.literal(365),
      z.literal(731),
      z.literal(1827),
      z.literal(3653),
    ])
    .default(90),
  /** The agent-lag alarm fires when the agent is this many seconds behind the live redo log (or silent). */
  agentLagAlarmSeconds: z.number().int().min(10).max(86400).default(300),
  /** Work items (restore chunks…) processed at once: the worker's SQS maximum concurrency. */
  restoreWorkers: z.number().int().min(2).max(1000).default(20),
  /** Days a finished operation stays queryable before DynamoDB TTL removes it. */
  operationRetentionDays: z.number().int().min(1).max(3650).default(30),
  /** Hours a running operation may go without any progress or agent heartbeat before it is failed as lost. */
  operationStallHours: z.number().int().min(1).max(8760).default(24),
  schedules: z
    .strictObject({
      smartscan: scheduleExpression.optional(),
      purge: scheduleExpression.optional(),
      coherency: scheduleExpression.optional(),
      'ldap-dump': scheduleExpression.optional(),
      'legal-hold': scheduleExpression.optional(),
      drill: scheduleExpression.optional(),
      sweep: scheduleExpression.optional(),
    })
    .default({}),
  /**
   * Buckets besides the backup bucket that exports may be written to and imports read from (another
   * deployment's, an archive account's). Their owners must allow this deployment's transfer function.
   */
  transferBuckets: z
    .array(z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name'))
    .max(20)
    .default([]),
  /**
   * The mail servers (their agents' `serverId`s), each given an identity of its own: a role that may create only
   * its own objects and blobs and read nothing, whose announcements alone are taken for it. Empty: one shared
   * agent policy for every host (single-server deployments, the local cloud).
   */
  servers: z
    .array(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected a server id: 1–64 of A-Z a-z 0-9 . _ -'))
    .max(500)
    .refine((ids) => new Set(ids).size === ids.length, 'a server id appears twice')
    .default([]),
  /** Who may assume the servers' roles (an IAM role or user ARN); default: the account (its IAM policies decide). */
  agentPrincipal: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/, 'expected an IAM role or user ARN')
    .optional(),
  /** Who may assume the people's roles (operator, help desk, compliance); default: the account. */
  peoplePrincipal: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:(role|user|root)\/?[\w+=,.@/-]*$/, 'expected an IAM ARN')
    .optional(),
  /**
   * A second copy in another region or account: S3 replication of the whole backup bucket (every new object
   * version, with its Object Lock retention and legal hold when the replica has Object Lock too; purges' delete
   * markers follow) with Replication Time Control and its metrics, and the index and operations tables exported
   * daily into `index-exports/` (replicated with the rest). The replica bucket is made beforehand (versioned,
   * Object Lock on, encrypted with `kmsKeyArn`); its owner allows this stack's replication role. `false`: none.
   */
  replica: z
    .union([
      z.strictObject({
        bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name'),
        region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region, e.g. eu-west-1'),
        /** The replica's account, when it is another one: it then owns the replicas. */
        account: z
          .string()
          .regex(/^\d{12}$/, 'expected a 12-digit account id')
          .optional(),
        /** The KMS key (in the replica's region) the replicas are encrypted with. */
        kmsKeyArn: z
          .string()
          .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/, 'expected a KMS key ARN'),
        storageClass: z
          .enum(['STANDARD', 'STANDARD_IA', 'GLACIER_IR', 'INTELLIGENT_TIERING'])
          .default('STANDARD'),
        /** The replication-lag alarm fires above this (Replication Time Control replicates within 15 minutes). */
        lagAlarmSeconds: z.number().int().min(60).max(86_400).default(900),
        /** When the tables are exported into `index-exports/` (then replicated). */
        indexExport: scheduleExpression.default('cron(0 7 * * ? *)'),
      }),
      z.literal(false),
    ])
    .default(false),
  /** E-mail address subscribed to the alarm topic, if any. */
  alarmEmail: z.email().optional(),
  /** E-mail address told when an operation finishes (succeeded, failed or stopped), if any. */
  operationsEmail: z.email().optional(),
});

export type StackConfig = z.output<typeof stackConfigSchema>;

/** Validates the `offsite` context value (cdk.json or `-c offsite=...`), rejecting unknown keys by name. */
export function parseStackConfig(input: unknown): StackConfig {
  const raw = typeof input === 'string' ? parseJson(input) : (input ?? {});
  return parseOrThrow(stackConfigSchema, raw, 'offsite stack configuration (cdk context "offsite")');
}

export function scheduleFor(config: StackConfig, job: ScheduleJob): string {
  return config.schedules[job] ?? DEFAULT_SCHEDULES[job];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    return parseOrThrow(z.never(), undefined, `offsite stack configuration: not JSON (${String(cause)})`);
  }
}
