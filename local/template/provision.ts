import path from 'node:path';
import {
  CreateTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  UpdateContinuousBackupsCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand, type KeySpec, type KMSClient } from '@aws-sdk/client-kms';
import {
  CreateBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectLockConfigurationCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { CreateTopicCommand, type SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ENV } from '#core/env-names.ts';
import { UnsupportedTemplateError } from '#local/errors.ts';
import type { CfnResource, CfnTemplate } from '#local/template/cloud-assembly.ts';
import {
  type PhysicalResource,
  type ResolveContext,
  resolve,
  resolveString,
} from '#local/template/intrinsics.ts';
import type {
  LocalEventSourceMapping,
  LocalFunction,
  LocalFunctionUrl,
  LocalQueue,
  LocalResources,
  LocalScheduleRule,
} from '#local/template/local-resources.ts';

export interface BackendCapabilities {
  /** Bucket versioning, Object Lock, lifecycle and public access block are enforced (moto), not ignored. */
  readonly bucketControls: boolean;
  /** Point-in-time recovery, which table exports need (moto); DynamoDB Local has neither. */
  readonly tableBackups?: boolean;
}

export interface ProvisionClients {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly dynamodb: DynamoDBClient;
  /** A backend with KMS (moto) holds the template's signing keys; without it they are key pairs on disk. */
  readonly kms?: KMSClient;
}

export interface ProvisionOptions {
  readonly template: CfnTemplate;
  readonly assemblyDir: string;
  readonly region: string;
  readonly account: string;
  readonly clients: ProvisionClients;
  readonly capabilities: BackendCapabilities;
  /** The SenderId the backend's queue emulator reports for every message, whoever sent it. */
  readonly senderId: string;
  /** Port for each function URL, in template order (0 is not allowed here: allocate first). */
  readonly functionUrlPorts: readonly number[];
  /** Prefix of every physical name, so two local clouds can share one emulator. */
  readonly namePrefix: string;
  /** Without KMS, the PEM private key that stands in for the drill signing key (see attestationSigner). */
  readonly localSigningKeyFile?: string;
}

const IGNORED_TYPES = new Set([
  'AWS::IAM::Role',
  'AWS::IAM::Policy',
  'AWS::IAM::ManagedPolicy',
  'AWS::KMS::Key',
  'AWS::Logs::LogGroup',
  'AWS::S3::BucketPolicy',
  'AWS::SQS::QueuePolicy',
  'AWS::SNS::TopicPolicy',
  'AWS::SNS::Subscription',
  'AWS::CloudWatch::Alarm',
  'AWS::Lambda::Permission',
  'AWS::CDK::Metadata',
]);

/** Creates, in the emulators, the buckets, tables and queues the template declares; describes the rest. */
export async function provision(options: ProvisionOptions): Promise<LocalResources> {
  const { template, region, account, namePrefix } = options;
  const physical = new Map<string, PhysicalResource>();
  const ctx: ResolveContext = { region, account, resources: physical };
  const entries = Object.entries(template.Resources);
  const notEmulated = new Set<string>();

  // Pass 1: names and ARNs, which depend on nothing but the logical id.
  let urlIndex = 0;
  for (const [id, resource] of entries) {
    const name = `${namePrefix}${id}`;
    switch (resource.Type) {
      case 'AWS::S3::Bucket': {
        const bucket = name.toLowerCase().slice(0, 63);
        physical.set(id, {
          ref: bucket,
          attributes: { Arn: `arn:aws:s3:::${bucket}`, DomainName: `${bucket}.s3.amazonaws.com` },
        });
        break;
      }
      case 'AWS::DynamoDB::Table':
        physical.set(id, {
          ref: name,
          attributes: { Arn: `arn:aws:dynamodb:${region}:${account}:table/${name}` },
        });
        break;
      case 'AWS::SQS::Queue': {
        const queueName = resource.Properties?.FifoQueue === true ? `${name}.fifo` : name;
        const arn = `arn:aws:sqs:${region}:${account}:${queueName}`;
        // The URL is known once the emulator created the queue (pass 2).
        physical.set(id, { ref: '', attributes: { Arn: arn, QueueName: queueName, QueueUrl: '' } });
        break;
      }
      case 'AWS::Lambda::Function':
        physical.set(id, {
          ref: name,
          attributes: { Arn: `arn:aws:lambda:${region}:${account}:function:${name}` },
        });
        break;
      case 'AWS::Lambda::Url': {
        const port = options.functionUrlPorts[urlIndex++];
        if (port === undefined)
          throw new UnsupportedTemplateError(`no local port was allocated for function URL ${id}`);
        physical.set(id, {
          ref: id,
          attributes: { FunctionUrl: `http://127.0.0.1:${port}/`, FunctionArn: id },
        });
        break;
      }
      case 'AWS::SNS::Topic':
        // Its ARN is the emulator's (pass 2); a Ref to a topic is its ARN.
        physical.set(id, { ref: '', attributes: { TopicArn: '', TopicName: name } });
        break;
      case 'AWS::Events::Rule': {
        const ruleName = typeof resource.Properties?.Name === 'string' ? resource.Properties.Name : name;
        physical.set(id, {
          ref: ruleName,
          attributes: { Arn: `arn:aws:events:${region}:${account}:rule/${ruleName}` },
        });
        break;
      }
      default:
        if (!IGNORED_TYPES.has(resource.Type) && resource.Type !== 'AWS::Lambda::EventSourceMapping') {
          throw new UnsupportedTemplateError(
            `${id}: resource type ${resource.Type} is not emulated by the local cloud`,
          );
        }
        if (IGNORED_TYPES.has(resource.Type) && resource.Type !== 'AWS::CDK::Metadata')
          notEmulated.add(resource.Type);
        physical.set(id, {
          ref: name,
          attributes: {
            Arn: `arn:aws:local:${region}:${account}:${resource.Type.replaceAll('::', '-').toLowerCase()}/${name}`,
            KeyId: name,
            TopicName: name,
            // Every role is the one sender the local queues report (the local cloud enforces no IAM).
            RoleId: options.senderId,
          },
        });
    }
  }

  // Pass 2: create what the emulators hold. Dead-letter queues first, since redrive policies name them.
  const buckets = new Map<string, string>();
  const tables = new Map<string, string>();
  const queues = new Map<string, LocalQueue>();
  for (const [id, resource] of entries) {
    if (resource.Type === 'AWS::S3::Bucket') buckets.set(id, await createBucket(id, resource, ctx, options));
    if (resource.Type === 'AWS::DynamoDB::Table')
      tables.set(id, await createTable(id, resource, ctx, options.clients.dynamodb, options.capabilities));
  }
  const queueEntries = entries.filter(([, r]) => r.Type === 'AWS::SQS::Queue');
  queueEntries.sort(
    ([, a], [, b]) =>
      Number(a.Properties?.RedrivePolicy !== undefined) - Number(b.Properties?.RedrivePolicy !== undefined),
  );
  for (const [id, resource] of queueEntries) {
    const queue = await createQueue(id, resource, ctx, options.clients.sqs);
    queues.set(id, queue);
    physical.set(id, {
      ref: queue.url,
      attributes: { Arn: queue.arn, QueueName: queue.name, QueueUrl: queue.url },
    });
  }

  // Topics: notifications go to the emulator's SNS (subscribers are whatever a test subscribes; e-mail is not
  // emulated).
  for (const [id, resource] of entries) {
    if (resource.Type !== 'AWS::SNS::Topic') continue;
    const name = physical.get(id)?.attributes.TopicName ?? id;
    const created = await options.clients.sns.send(new CreateTopicCommand({ Name: name }));
    if (!created.TopicArn) throw new UnsupportedTemplateError(`${id}: the emulator returned no topic ARN`);
    physical.set(id, { ref: created.TopicArn, attributes: { TopicArn: created.TopicArn, TopicName: name } });
  }

  // Signing keys: real ones in a backend that has KMS (the data key stays emulated by S3-managed encryption).
  if (options.clients.kms)
    for (const [id, resource] of entries) {
      const p = resource.Properties ?? {};
      if (resource.Type !== 'AWS::KMS::Key' || p.KeyUsage !== 'SIGN_VERIFY') continue;
      const created = await options.clients.kms.send(
        new CreateKeyCommand({
          KeySpec: p.KeySpec as KeySpec,
          KeyUsage: 'SIGN_VERIFY',
          Description: String(p.Description ?? id),
        }),
      );
      const meta = created.KeyMetadata;
      if (!meta?.Arn || !meta.KeyId)
        throw new UnsupportedTemplateError(`${id}: the emulator returned no key`);
      physical.set(id, { ref: meta.KeyId, attributes: { Arn: meta.Arn, KeyId: meta.KeyId } });
    }

  // Pass 3: functions and their triggers, with environments resolved against the created resources.
  const functions = new Map<string, LocalFunction>();
  const eventSourceMappings: LocalEventSourceMapping[] = [];
  const rules: LocalScheduleRule[] = [];
  const functionUrls: LocalFunctionUrl[] = [];
  const functionByArn = new Map<string, LocalFunction>();
  for (const [id, resource] of entries) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const fn = describeFunction(id, resource, ctx, options);
    functions.set(fn.name, fn);
    functionByArn.set(fn.arn, fn);
  }
  const functionNamed = (value: unknown, where: string): LocalFunction => {
    const key = resolveString(value, ctx, where);
    const fn = functionByArn.get(key) ?? functions.get(key);
    if (!fn) throw new UnsupportedTemplateError(`${where}: ${key} is not a function of this template`);
    return fn;
  };
  for (const [id, resource] of entries) {
    const p = resource.Properties ?? {};
    if (resource.Type === 'AWS::Lambda::EventSourceMapping') {
      const queueArn = resolveString(p.EventSourceArn, ctx, `${id}.EventSourceArn`);
      const queue = [...queues.values()].find((q) => q.arn === queueArn);
      if (!queue)
        throw new UnsupportedTemplateError(`${id}: only SQS event sources are emulated (got ${queueArn})`);
      const scaling = p.ScalingConfig as { MaximumConcurrency?: number } | undefined;
      eventSourceMappings.push({
        logicalId: id,
        functionName: functionNamed(p.FunctionName, `${id}.FunctionName`).name,
        queueArn,
        queueUrl: queue.url,
        fifo: queue.name.endsWith('.fifo'),
        batchSize: Number(p.BatchSize ?? 10),
        maxBatchingWindowSeconds: Number(p.MaximumBatchingWindowInSeconds ?? 0),
        reportBatchItemFailures: ((p.FunctionResponseTypes as string[] | undefined) ?? []).includes(
          'ReportBatchItemFailures',
        ),
        maxConcurrency: Number(scaling?.MaximumConcurrency ?? 2),
        enabled: p.Enabled !== false,
      });
    }
    if (resource.Type === 'AWS::Events::Rule' && p.ScheduleExpression !== undefined) {
      const own = physical.get(id);
      const targets = ((p.Targets as Record<string, unknown>[] | undefined) ?? []).map((target, i) => ({
        functionName: functionNamed(target.Arn, `${id}.Targets[${i}].Arn`).name,
        retryAttempts: Number(
          (target.RetryPolicy as { MaximumRetryAttempts?: number } | undefined)?.MaximumRetryAttempts ?? 185,
        ),
      }));
      rules.push({
        logicalId: id,
        name: own?.ref ?? id,
        arn: own?.attributes.Arn ?? id,
        scheduleExpression: resolveString(p.ScheduleExpression, ctx, `${id}.ScheduleExpression`),
        enabled: (p.State ?? 'ENABLED') === 'ENABLED',
        targets,
      });
    }
    if (resource.Type === 'AWS::Lambda::Url') {
      functionUrls.push({
        logicalId: id,
        functionName: functionNamed(p.TargetFunctionArn, `${id}.TargetFunctionArn`).name,
        authType: String(p.AuthType ?? 'NONE'),
      });
    }
  }
  const outputs = Object.fromEntries(
    Object.entries(template.Outputs ?? {}).map(([key, output]) => [
      key,
      resolveString(output.Value, ctx, `Outputs.${key}`),
    ]),
  );
  return {
    buckets,
    tables,
    queues,
    functions,
    eventSourceMappings,
    rules,
    functionUrls,
    outputs,
    notEmulated: [...notEmulated].sort(),
  };
}

async function createBucket(
  id: string,
  resource: CfnResource,
  ctx: ResolveContext,
  options: ProvisionOptions,
): Promise<string> {
  const name = ctx.resources.get(id)?.ref ?? id;
  const p = (resolve(resource.Properties ?? {}, ctx) ?? {}) as Record<string, unknown>;
  const s3 = options.clients.s3;
  const objectLock = p.ObjectLockEnabled === true;
  await s3.send(
    new CreateBucketCommand({ Bucket: name, ObjectLockEnabledForBucket: objectLock || undefined }),
  );
  if (!options.capabilities.bucketControls) return name;
  const versioning = p.VersioningConfiguration as { Status?: string } | undefined;
  if (versioning?.Status === 'Enabled' || objectLock) {
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }),
    );
  }
  const lock = p.ObjectLockConfiguration as
    | {
        ObjectLockEnabled?: string;
        Rule?: { DefaultRetention?: { Mode?: string; Days?: number; Years?: number } };
      }
    | undefined;
  if (objectLock && lock?.Rule?.DefaultRetention) {
    const retention = lock.Rule.DefaultRetention;
    await s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket: name,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: {
            DefaultRetention: {
              Mode: retention.Mode as 'GOVERNANCE' | 'COMPLIANCE',
              Days: retention.Days,
              Years: retention.Years,
            },
          },
        },
      }),
    );
  }
  const publicAccess = p.PublicAccessBlockConfiguration as Record<string, boolean> | undefined;
  if (publicAccess) {
    await s3.send(
      new PutPublicAccessBlockCommand({ Bucket: name, PublicAccessBlockConfiguration: publicAccess }),
    );
  }
  // No KMS locally: the bucket encrypts with S3-managed keys instead of the stack's customer key.
  if (p.BucketEncryption) {
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: name,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
      }),
    );
  }
  const lifecycle = p.LifecycleConfiguration as { Rules?: Record<string, unknown>[] } | undefined;
  if (lifecycle?.Rules?.length) {
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: name,
        LifecycleConfiguration: { Rules: lifecycle.Rules.map((rule, i) => toLifecycleRule(rule, i)) },
      }),
    );
  }
  return name;
}

function toLifecycleRule(rule: Record<string, unknown>, index: number) {
  const abort = rule.AbortIncompleteMultipartUpload as { DaysAfterInitiation: number } | undefined;
  const expiration = rule.ExpirationInDays as number | undefined;
  const noncurrent = rule.NoncurrentVersionExpiration as { NoncurrentDays: number } | undefined;
  return {
    ID: typeof rule.Id === 'string' ? rule.Id : `rule-${index}`,
    Status: 'Enabled' as const,
    Filter: { Prefix: typeof rule.Prefix === 'string' ? rule.Prefix : '' },
    AbortIncompleteMultipartUpload: abort,
    Expiration: expiration !== undefined ? { Days: expiration } : undefined,
    NoncurrentVersionExpiration: noncurrent,
  };
}

async function createTable(
  id: string,
  resource: CfnResource,
  ctx: ResolveContext,
  dynamodb: DynamoDBClient,
  capabilities: BackendCapabilities,
): Promise<string> {
  const name = ctx.resources.get(id)?.ref ?? id;
  const p = (resource.Properties ?? {}) as {
    KeySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
    AttributeDefinitions: { AttributeName: string; AttributeType: 'S' | 'N' | 'B' }[];
    GlobalSecondaryIndexes?: GlobalSecondaryIndex[];
    TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean };
    PointInTimeRecoverySpecification?: { PointInTimeRecoveryEnabled: boolean };
  };
  await dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: p.KeySchema,
      AttributeDefinitions: p.AttributeDefinitions,
      BillingMode: 'PAY_PER_REQUEST',
      GlobalSecondaryIndexes: p.GlobalSecondaryIndexes?.map((gsi) => ({
        IndexName: gsi.IndexName,
        KeySchema: gsi.KeySchema,
        Projection: gsi.Projection,
      })),
    }),
  );
  if (p.TimeToLiveSpecification?.Enabled) {
    await dynamodb.send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: p.TimeToLiveSpecification.AttributeName, Enabled: true },
      }),
    );
  }
  if (capabilities.tableBackups && p.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled)
    await dynamodb.send(
      new UpdateContinuousBackupsCommand({
        TableName: name,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      }),
    );
  return name;
}

const QUEUE_ATTRIBUTES = [
  'VisibilityTimeout',
  'MessageRetentionPeriod',
  'DelaySeconds',
  'ReceiveMessageWaitTimeSeconds',
  'MaximumMessageSize',
  'ContentBasedDeduplication',
  'FifoQueue',
] as const;

async function createQueue(
  id: string,
  resource: CfnResource,
  ctx: ResolveContext,
  sqs: SQSClient,
): Promise<LocalQueue> {
  const own = ctx.resources.get(id);
  const name = own?.attributes.QueueName ?? id;
  const p = (resolve(resource.Properties ?? {}, ctx) ?? {}) as Record<string, unknown>;
  const attributes: Record<string, string> = {};
  for (const key of QUEUE_ATTRIBUTES) if (p[key] !== undefined) attributes[key] = String(p[key]);
  if (p.RedrivePolicy) {
    const redrive = p.RedrivePolicy as { deadLetterTargetArn: string; maxReceiveCount: number };
    attributes.RedrivePolicy = JSON.stringify({
      deadLetterTargetArn: redrive.deadLetterTargetArn,
      maxReceiveCount: String(redrive.maxReceiveCount),
    });
  }
  const created = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!created.QueueUrl) throw new UnsupportedTemplateError(`${id}: the emulator returned no queue URL`);
  return { logicalId: id, name, url: created.QueueUrl, arn: own?.attributes.Arn ?? name };
}

function describeFunction(
  id: string,
  resource: CfnResource,
  ctx: ResolveContext,
  options: ProvisionOptions,
): LocalFunction {
  const p = resource.Properties ?? {};
  const assetPath = resource.Metadata?.['aws:asset:path'];
  if (typeof assetPath !== 'string') {
    throw new UnsupportedTemplateError(
      `${id}: function code is not a bundled asset (no aws:asset:path metadata)`,
    );
  }
  const variables = ((p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
    {}) as Record<string, unknown>;
  const environment = Object.fromEntries(
    Object.entries(variables).map(([key, value]) => [
      key,
      resolveString(value, ctx, `${id}.Environment.${key}`),
    ]),
  );
  // An emulator without Object Lock holds an unlocked bucket, whatever the template says; and fauxqs would
  // take a legal-hold request for the object's new body. The functions are told the truth.
  if (!options.capabilities.bucketControls && ENV.bucketObjectLock in environment)
    environment[ENV.bucketObjectLock] = 'off';
  // No KMS: drills sign with the local key pair, through the same interface.
  if (!options.clients.kms && ENV.drillSigningKey in environment) {
    if (!options.localSigningKeyFile)
      throw new UnsupportedTemplateError(`${id}: the backend has no KMS and no local signing key was given`);
    environment[ENV.drillSigningKey] = `file:${options.localSigningKeyFile}`;
  }
  const own = ctx.resources.get(id);
  return {
    logicalId: id,
    name: own?.ref ?? id,
    arn: own?.attributes.Arn ?? id,
    codeDir: path.resolve(options.assemblyDir, assetPath),
    handler: String(p.Handler ?? 'index.handler'),
    environment,
    timeoutSeconds: Number(p.Timeout ?? 3),
    memoryMb: Number(p.MemorySize ?? 128),
  };
}
