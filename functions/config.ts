import { z } from 'zod';
import { PERSON_ROLES } from '#core/access/control-permissions.ts';
import { ENV } from '#core/env-names.ts';
import { parseOrThrow } from '#core/validation.ts';

// The only module that reads process.env. Each handler calls configFor() once, at cold start.
const name = z.string().min(1);
const url = z.url();
const days = z.coerce.number().int().min(1).max(3650);
const hours = z.coerce.number().int().min(1).max(8760);
/** A variable holding JSON that `schema` describes (`what`, for the error). */
function json<T extends z.ZodType>(schema: T, what: string) {
  return z.string().transform((text, ctx): z.output<T> => {
    try {
      return schema.parse(JSON.parse(text));
    } catch {
      ctx.addIssue({ code: 'custom', message: `expected ${what}` });
      return z.NEVER;
    }
  });
}
const roleId = z.string().min(1);
const roleIds = json(z.array(roleId).min(1), 'a JSON list of IAM role ids');
const roleIdsByServer = json(
  z.record(z.string().min(1), roleId),
  'a JSON map of server id to IAM role id',
).default({});
const personRoleIds = json(
  z.partialRecord(z.enum(PERSON_ROLES), roleId),
  'a JSON map of person role to IAM role id',
).default({});
/** Whether the backup bucket has Object Lock (see ENV.bucketObjectLock). */
const bucketObjectLock = z
  .enum(['on', 'off'])
  .default('off')
  .transform((v) => v === 'on');
const buckets = z
  .string()
  .default('')
  .transform((list) => list.split(',').filter(Boolean));

const schemas = {
  indexer: z.object({
    indexTable: name,
    backupBucket: name,
    ingestQueueUrl: url,
    ingestDeadLetterQueueUrl: url,
    ingestInternalSenders: roleIds,
    agentRoleIds: roleIdsByServer,
    // A reindex's share is reported by the indexer, which finishes the operation when it is the last.
    operationsTable: name,
    operationRetentionDays: days,
    operationsTopicArn: name,
  }),
  control: z.object({
    /** Role id of each person role (operator, help-desk, compliance); empty: every caller has every role. */
    personRoleIds: personRoleIds,
    operationsTable: name,
    indexTable: name,
    planQueueUrl: url,
    ingestQueueUrl: url,
    operationRetentionDays: days,
    operationsTopicArn: name,
    // Drills: their attestations (read) and the public key that verifies them.
    backupBucket: name,
    drillSigningKey: name,
  }),
  planner: z.object({
    bucketObjectLock,
    operationsTable: name,
    indexTable: name,
    backupBucket: name,
    workQueueUrl: url,
    purgeQueueUrl: url,
    auditQueueUrl: url,
    transferQueueUrl: url,
    planQueueUrl: url,
    // A reindex is queued in each server's ingest group.
    ingestQueueUrl: url,
    transferBuckets: buckets,
    operationRetentionDays: days,
    operationStallHours: hours,
    operationsTopicArn: name,
  }),
  worker: z.object({
    bucketObjectLock,
    operationsTable: name,
    indexTable: name,
    backupBucket: name,
    operationRetentionDays: days,
    operationsTopicArn: name,
    drillSigningKey: name,
  }),
  purger: z.object({
    bucketObjectLock,
    operationsTable: name,
    indexTable: name,
    backupBucket: name,
    operationRetentionDays: days,
    operationsTopicArn: name,
  }),
  auditor: z.object({
    bucketObjectLock,
    operationsTable: name,
    indexTable: name,
    backupBucket: name,
    operationRetentionDays: days,
    operationsTopicArn: name,
  }),
  transfer: z.object({
    bucketObjectLock,
    operationsTable: name,
    indexTable: name,
    backupBucket: name,
    ingestQueueUrl: url,
    operationRetentionDays: days,
    operationsTopicArn: name,
  }),
  agentControl: z.object({
    operationsTable: name,
    /** Read for which blobs are verified (BLOB# items only): the agents' dedup question. */
    indexTable: name,
    operationRetentionDays: days,
    operationsTopicArn: name,
    agentRoleIds: roleIdsByServer,
  }),
  deadLetters: z.object({ operationsTable: name, operationRetentionDays: days, operationsTopicArn: name }),
  'index-export': z.object({
    backupBucket: name,
    exportedTables: json(z.array(z.string().min(1)).min(1), 'a JSON list of DynamoDB table ARNs'),
  }),
  scheduler: z.object({
    operationsTable: name,
    planQueueUrl: url,
    operationRetentionDays: days,
    operationStallHours: hours,
    operationsTopicArn: name,
  }),
} as const;

export type FunctionName = keyof typeof schemas;
export type FunctionConfig<F extends FunctionName> = z.output<(typeof schemas)[F]>;

export function configFor<F extends FunctionName>(
  fn: F,
  env: Readonly<Record<string, string | undefined>> = process.env,
): FunctionConfig<F> {
  const raw = Object.fromEntries(Object.entries(ENV).map(([key, envName]) => [key, env[envName]]));
  const schema: z.ZodType = schemas[fn];
  const what = `environment of function "${fn}" (variables ${Object.values(ENV).join(', ')})`;
  return parseOrThrow(schema, raw, what) as FunctionConfig<F>;
}
