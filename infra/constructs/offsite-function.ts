import path from 'node:path';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BUCKET } from '#core/storage/bucket-layout.ts';
import {
  acknowledgePrefixGrant,
  bucketPurgeStatements,
  bucketQuarantineStatements,
  bucketStatements,
  namedBucketStatements,
  queueSendStatements,
  type TableAccess,
  tableExportStatements,
  tableKeyDenial,
  tableKeyPutStatements,
  tableKeyReadStatements,
  tableScanStatements,
  tableStatements,
  topicPublishStatements,
} from '#infra/constructs/permissions.ts';

const PROJECT_ROOT = path.resolve(import.meta.dirname, '..', '..');

export interface OffsiteFunctionProps {
  /** Handler file name under functions/handlers, without extension. */
  readonly handler: string;
  readonly description: string;
  readonly timeout?: Duration;
  readonly memorySize?: number;
  readonly logRetention: logs.RetentionDays;
}

export interface ConsumeOptions {
  readonly batchSize: number;
  readonly maxBatchingWindow?: Duration;
  readonly maxConcurrency?: number;
}

/**
 * Our Lambda function: Node 24 on arm64, ESM bundle with source maps, X-Ray tracing and a log group with
 * retention. The bind methods set an environment variable and grant exactly the matching permission together,
 * so a function can never know a resource it may not touch, nor touch one it does not know.
 */
export class OffsiteFunction extends Construct {
  readonly fn: nodejs.NodejsFunction;
  /** Its own role: the prefix of every message it sends is this role's unique id. */
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: OffsiteFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention });
    // Our own role instead of AWSLambdaBasicExecutionRole: logging only to this function's log group.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `offsite ${props.handler} function`,
    });
    const role = this.role;
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    this.fn = new nodejs.NodejsFunction(this, 'Function', {
      entry: path.join(PROJECT_ROOT, 'functions', 'handlers', `${props.handler}.ts`),
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      role,
      loggingFormat: lambda.LoggingFormat.JSON,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: `offsite-${props.handler}`,
        POWERTOOLS_METRICS_NAMESPACE: 'Offsite',
        OFFSITE_FUNCTION: props.handler,
      },
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: 'node24',
        platform: 'node',
        sourceMap: true,
        sourceMapMode: nodejs.SourceMapMode.DEFAULT,
        minify: false,
        forceDockerBundling: false,
        // Some dependencies still call require(); ESM bundles need it defined.
        banner:
          "import { createRequire as __offsiteCreateRequire } from 'node:module'; const require = __offsiteCreateRequire(import.meta.url);",
        mainFields: ['module', 'main'],
        // Bundle the AWS SDK too: the version we test is the version that runs, not the runtime's copy.
        externalModules: [],
      },
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions',
    });
  }

  get functionName(): string {
    return this.fn.functionName;
  }

  readsTable(envName: string, access: TableAccess): this {
    this.fn.addEnvironment(envName, access.table.tableName);
    return this.allow(tableStatements(access, false));
  }

  /** Reads and writes items; with `deletes: false` only puts and updates them. */
  writesTable(envName: string, access: TableAccess, options: { deletes?: boolean } = {}): this {
    this.fn.addEnvironment(envName, access.table.tableName);
    return this.allow(tableStatements(access, options.deletes === false ? 'no-delete' : true));
  }

  /** Reads only the items whose partition key matches one of `keys` (`BLOB#*`). */
  readsTableKeys(envName: string, access: TableAccess, keys: readonly string[]): this {
    this.fn.addEnvironment(envName, access.table.tableName);
    return this.allow(tableKeyReadStatements(access, keys));
  }

  /** Puts only the items whose partition key matches one of `keys` (`BLOB#*`); it reads the table otherwise. */
  putsTableKeys(access: TableAccess, keys: readonly string[]): this {
    return this.allow(tableKeyPutStatements(access, keys));
  }

  /** May write no item whose partition key is one of `keys` (another function's to keep). */
  mayNotWrite(access: TableAccess, keys: readonly string[]): this {
    return this.allow([tableKeyDenial(access, keys)]);
  }

  /** Reads objects under the given key prefix (e.g. `servers/`). */
  readsBucket(envName: string, bucket: s3.IBucket, prefix: string): this {
    this.fn.addEnvironment(envName, bucket.bucketName);
    acknowledgePrefixGrant(this.fn.role ?? this, bucket, prefix);
    return this.allow(bucketStatements(bucket, prefix, false));
  }

  /** Reads and puts (never deletes) objects under the given key prefix. */
  writesBucket(envName: string, bucket: s3.IBucket, prefix: string): this {
    this.fn.addEnvironment(envName, bucket.bucketName);
    acknowledgePrefixGrant(this.fn.role ?? this, bucket, prefix);
    return this.allow(bucketStatements(bucket, prefix, true));
  }

  /**
   * The bucket has Object Lock: the objects this function writes under `prefix` carry a short lock of their own
   * (s3:PutObjectRetention, there only) instead of the bucket's default.
   */
  locksBriefly(envName: string, bucket: s3.IBucket, prefix: string): this {
    this.fn.addEnvironment(envName, 'on');
    return this.allow([
      new iam.PolicyStatement({
        actions: ['s3:PutObjectRetention'],
        resources: [bucket.arnForObjects(`${prefix}*`)],
      }),
    ]);
  }

  /** Sets and clears S3 legal holds on objects under the prefixes (see legal-hold operations). */
  holdsObjects(bucket: s3.IBucket, prefixes: readonly string[]): this {
    return this.allow([
      new iam.PolicyStatement({
        actions: ['s3:PutObjectLegalHold', 's3:GetObjectLegalHold'],
        resources: prefixes.map((prefix) => bucket.arnForObjects(`${prefix}*`)),
      }),
    ]);
  }

  /** Reads (and with `write` puts) objects in the transfer buckets the configuration names. */
  transfersWith(envName: string, names: readonly string[], write: boolean): this {
    this.fn.addEnvironment(envName, names.join(','));
    for (const name of names)
      Validations.of(this.fn.role ?? this).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:aws:s3:::${name}/*]`,
        reason: `exports are written to and imports read from any prefix of the configured transfer bucket ${name}`,
      });
    return this.allow(namedBucketStatements(names, write));
  }

  /** Deletes under the prefix as a purge does (see bucketPurgeStatements). */
  purgesBucket(envName: string, bucket: s3.IBucket, prefix: string): this {
    this.fn.addEnvironment(envName, bucket.bucketName);
    acknowledgePrefixGrant(this.fn.role ?? this, bucket, prefix);
    return this.allow(bucketPurgeStatements(bucket, prefix));
  }

  /** Moves objects from under the prefixes to `quarantine/` (see bucketQuarantineStatements). */
  quarantinesIn(envName: string, bucket: s3.IBucket, from: readonly string[]): this {
    this.fn.addEnvironment(envName, bucket.bucketName);
    for (const prefix of [...from, BUCKET.quarantine])
      acknowledgePrefixGrant(this.fn.role ?? this, bucket, prefix);
    return this.allow(bucketQuarantineStatements(bucket, from));
  }

  /** Signs with the asymmetric key (restore drills' attestations): kms:Sign on that key alone. */
  signsWith(envName: string, key: kms.IKey): this {
    this.fn.addEnvironment(envName, key.keyArn);
    return this.allow([new iam.PolicyStatement({ actions: ['kms:Sign'], resources: [key.keyArn] })]);
  }

  /** Reads the public half of the signing key (to hand out for verification): kms:GetPublicKey alone. */
  publishesKeyOf(envName: string, key: kms.IKey): this {
    this.fn.addEnvironment(envName, key.keyArn);
    return this.allow([new iam.PolicyStatement({ actions: ['kms:GetPublicKey'], resources: [key.keyArn] })]);
  }

  /** Exports the tables (DynamoDB point-in-time export) into the bucket under `prefix`, and nothing more. */
  exportsTables(
    tablesEnv: string,
    tables: readonly dynamodb.ITable[],
    bucketEnv: string,
    bucket: s3.IBucket,
    prefix: string,
  ): this {
    this.fn.addEnvironment(tablesEnv, Stack.of(this).toJsonString(tables.map((t) => t.tableArn)));
    this.fn.addEnvironment(bucketEnv, bucket.bucketName);
    acknowledgePrefixGrant(this.fn.role ?? this, bucket, prefix);
    return this.allow(tableExportStatements(tables, bucket, prefix));
  }

  /** May scan the whole table (it also needs readsTable or writesTable for the rest). */
  scansTable(access: TableAccess): this {
    return this.allow(tableScanStatements(access));
  }

  /**
   * Consumes an ingest queue that trusts only offsite's own functions (`internal`, by role id) with indexing
   * work, and puts what it refuses into `deadLetters` with the reason.
   */
  authenticatesIngest(
    sendersEnv: string,
    internal: readonly OffsiteFunction[],
    deadLettersEnv: string,
    deadLetters: sqs.IQueue,
  ): this {
    this.fn.addEnvironment(sendersEnv, Stack.of(this).toJsonString(internal.map((f) => f.role.roleId)));
    return this.sendsTo(deadLettersEnv, deadLetters);
  }

  sendsTo(envName: string, queue: sqs.IQueue): this {
    this.fn.addEnvironment(envName, queue.queueUrl);
    return this.allow(queueSendStatements(queue));
  }

  /** Publishes notifications to the topic (and may use its key). */
  publishesTo(envName: string, topic: sns.ITopic): this {
    this.fn.addEnvironment(envName, topic.topicArn);
    return this.allow(topicPublishStatements(topic));
  }

  private allow(statements: readonly iam.PolicyStatement[]): this {
    for (const statement of statements) this.fn.addToRolePolicy(statement);
    return this;
  }

  /**
   * Consumes a queue with partial batch failures. Lambda's guidance: the queue's visibility timeout must be at
   * least six times the function timeout, or a slow batch is delivered twice while still running.
   */
  consumes(queue: sqs.Queue, options: ConsumeOptions): this {
    const visibility = readVisibility(queue);
    const needed = this.fn.timeout?.toSeconds() ?? 3;
    if (visibility !== undefined && visibility < needed * 6) {
      throw new Error(
        `${queue.node.path}: visibility timeout ${visibility}s is less than 6 × the timeout of ${this.node.path} (${needed}s)`,
      );
    }
    this.fn.addEventSource(
      new SqsEventSource(queue, {
        batchSize: options.batchSize,
        maxBatchingWindow: options.maxBatchingWindow,
        reportBatchItemFailures: true,
        maxConcurrency: options.maxConcurrency,
      }),
    );
    return this;
  }

  /** An EventBridge rule named `<stack>-<job>` invokes the function with the plain Scheduled Event. */
  runsOnSchedule(job: string, expression: string): this {
    const ruleName = `${Stack.of(this).stackName}-${job}`;
    const rule = new events.Rule(this, `Schedule-${job}`, {
      ruleName,
      description: `offsite ${job}`,
      schedule: events.Schedule.expression(expression),
    });
    rule.addTarget(new targets.LambdaFunction(this.fn, { retryAttempts: 2 }));
    return this;
  }
}

function readVisibility(queue: sqs.Queue): number | undefined {
  const cfn = queue.node.defaultChild as sqs.CfnQueue;
  return typeof cfn.visibilityTimeout === 'number' ? cfn.visibilityTimeout : undefined;
}
