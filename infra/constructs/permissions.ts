import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';

// Explicit, minimal statements instead of the grant*() helpers, which add wildcard actions (s3:Abort*,
// kms:ReEncrypt*, s3:List*) offsite never uses. Shared by the functions and the agent's managed policy.

export interface TableAccess {
  readonly table: dynamodb.ITable;
  /** Global secondary indexes the caller queries: granted by name, not `index/*`. */
  readonly indexes?: readonly string[];
}

const TABLE_READ = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
];
const TABLE_WRITE = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];

/** Puts and updates only: neither DeleteItem nor BatchWriteItem (whose requests may delete). */
const TABLE_WRITE_NO_DELETE = ['dynamodb:PutItem', 'dynamodb:UpdateItem'];

/** Read, or read and write (`write`), or read, put and update but never delete (`'no-delete'`). */
export function tableStatements(
  { table, indexes = [] }: TableAccess,
  write: boolean | 'no-delete',
): iam.PolicyStatement[] {
  const writes = write === 'no-delete' ? TABLE_WRITE_NO_DELETE : write ? TABLE_WRITE : [];
  const statements = [
    new iam.PolicyStatement({
      actions: [...TABLE_READ, ...writes],
      resources: [table.tableArn, ...indexes.map((name) => `${table.tableArn}/index/${name}`)],
    }),
  ];
  return [...statements, ...keyStatements(table.encryptionKey, write !== false)];
}

/** Reads (get, batch get) of the items whose partition key matches one of `keys` (`BLOB#*`) only. */
export function tableKeyReadStatements(access: TableAccess, keys: readonly string[]): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'],
      resources: [access.table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...keys] } },
    }),
    ...keyStatements(access.table.encryptionKey, false),
  ];
}

/**
 * Puts of the items whose partition key matches one of `keys` (`BLOB#*`) only: one item per request, since
 * a batch write could delete as well.
 */
export function tableKeyPutStatements(access: TableAccess, keys: readonly string[]): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      actions: ['dynamodb:PutItem'],
      resources: [access.table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...keys] } },
    }),
    ...keyStatements(access.table.encryptionKey, true),
  ];
}

/** No write of any kind to items whose partition key is one of `keys`, whatever else is allowed. */
export function tableKeyDenial({ table }: TableAccess, keys: readonly string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    effect: iam.Effect.DENY,
    actions: TABLE_WRITE,
    resources: [table.tableArn],
    conditions: { 'ForAnyValue:StringEquals': { 'dynamodb:LeadingKeys': [...keys] } },
  });
}

/** Objects under `prefix` (e.g. `servers/`): read, and with `write` also put. Never delete. */
export function bucketStatements(bucket: s3.IBucket, prefix: string, write: boolean): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      actions: write ? ['s3:GetObject', 's3:PutObject'] : ['s3:GetObject'],
      resources: [bucket.arnForObjects(`${prefix}*`)],
    }),
    // Without ListBucket a missing key answers 403 instead of 404; limited to the same prefix.
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
    }),
    ...keyStatements(bucket.encryptionKey, write),
  ];
}

/**
 * Calls to a function through its IAM-authenticated URL: a URL created since October 2025 needs both actions;
 * each is granted only through the URL.
 */
export function functionUrlInvokeStatements(functionArn: string): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      actions: ['lambda:InvokeFunctionUrl'],
      resources: [functionArn],
      conditions: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
    }),
    new iam.PolicyStatement({
      actions: ['lambda:InvokeFunction'],
      resources: [functionArn],
      conditions: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } },
    }),
  ];
}

/**
 * Puts under `prefix` that create an object and never replace one: a request that creates the object (a put, a
 * multipart completion) must carry If-None-Match, so S3 refuses an existing key with 412; the steps of a
 * multipart upload, which create nothing, need not. Nothing else: no read, no list, no delete.
 */
export function bucketWriteOnceStatements(bucket: s3.IBucket, prefix: string): iam.PolicyStatement[] {
  const objects = [bucket.arnForObjects(`${prefix}*`)];
  return [
    new iam.PolicyStatement({
      actions: ['s3:PutObject'],
      resources: objects,
      conditions: { Null: { 's3:if-none-match': 'false' } },
    }),
    new iam.PolicyStatement({
      actions: ['s3:PutObject'],
      resources: objects,
      conditions: { Bool: { 's3:ObjectCreationOperation': 'false' } },
    }),
    // A multipart upload under SSE-KMS needs Decrypt too; without s3:GetObject nothing stored can be read.
    ...(bucket.encryptionKey
      ? [
          new iam.PolicyStatement({
            actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
            resources: [bucket.encryptionKey.keyArn],
          }),
        ]
      : []),
  ];
}

/**
 * Buckets named by the configuration (not in this stack): read, and with `write` put, any object. Their
 * encryption keys, if any, are their owners' to grant.
 */
export function namedBucketStatements(names: readonly string[], write: boolean): iam.PolicyStatement[] {
  if (names.length === 0) return [];
  return [
    new iam.PolicyStatement({
      actions: write ? ['s3:GetObject', 's3:PutObject'] : ['s3:GetObject'],
      resources: names.map((name) => `arn:aws:s3:::${name}/*`),
    }),
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: names.map((name) => `arn:aws:s3:::${name}`),
    }),
  ];
}

/**
 * Deleting under `prefix` as a purge does: a plain delete (a delete marker in a versioned bucket, which Object
 * Lock allows and which leaves the locked version in place), reading versions to put one back when a reference
 * appeared meanwhile. Never s3:DeleteObjectVersion: nothing here can destroy a version for good.
 */
export function bucketPurgeStatements(bucket: s3.IBucket, prefix: string): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      // Retention and legal hold are read to leave what Object Lock holds (HeadObject omits them without).
      actions: [
        's3:GetObject',
        's3:GetObjectVersion',
        's3:GetObjectRetention',
        's3:GetObjectLegalHold',
        's3:PutObject',
        's3:DeleteObject',
      ],
      resources: [bucket.arnForObjects(`${prefix}*`)],
    }),
    new iam.PolicyStatement({
      actions: ['s3:ListBucket', 's3:ListBucketVersions'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
    }),
    ...keyStatements(bucket.encryptionKey, true),
  ];
}

/** Moving objects from under `from` prefixes to `quarantine/`: copy there, delete here (a delete marker). */
export function bucketQuarantineStatements(
  bucket: s3.IBucket,
  from: readonly string[],
): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      actions: ['s3:GetObject', 's3:DeleteObject'],
      resources: from.map((prefix) => bucket.arnForObjects(`${prefix}*`)),
    }),
    new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [bucket.arnForObjects('quarantine/*')] }),
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': from.map((prefix) => `${prefix}*`) } },
    }),
    ...keyStatements(bucket.encryptionKey, true),
  ];
}

/** A whole-table scan (a coherency check reads every blob reference). */
export function tableScanStatements({ table }: TableAccess): iam.PolicyStatement[] {
  return [new iam.PolicyStatement({ actions: ['dynamodb:Scan'], resources: [table.tableArn] })];
}

export function queueSendStatements(queue: sqs.IQueue): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes'],
      resources: [queue.queueArn],
    }),
    ...keyStatements(queue.encryptionMasterKey, true),
  ];
}

export function topicPublishStatements(topic: sns.ITopic): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [topic.topicArn] }),
    ...keyStatements(topic.masterKey, true),
  ];
}

/**
 * DynamoDB point-in-time exports of the tables into the bucket under `prefix`: the export writes as the caller,
 * so the caller may put (and abort multipart uploads) there, and nothing else of the bucket.
 */
export function tableExportStatements(
  tables: readonly dynamodb.ITable[],
  bucket: s3.IBucket,
  prefix: string,
): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      actions: ['dynamodb:ExportTableToPointInTime'],
      resources: tables.map((t) => t.tableArn),
    }),
    new iam.PolicyStatement({
      actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:PutObjectAcl'],
      resources: [bucket.arnForObjects(`${prefix}*`)],
    }),
    ...tables.flatMap((t) => keyStatements(t.encryptionKey, false)),
    ...keyStatements(bucket.encryptionKey, true),
  ];
}

function keyStatements(key: kms.IKey | undefined, write: boolean): iam.PolicyStatement[] {
  if (!key) return [];
  const actions = write
    ? ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']
    : ['kms:Decrypt', 'kms:DescribeKey'];
  return [new iam.PolicyStatement({ actions, resources: [key.keyArn] })];
}

/**
 * Object keys under a prefix are content-addressed or made at run time, so the grant is necessarily
 * `<bucket>/<prefix>*`; cdk-nag's IAM5 is acknowledged for exactly that resource on `holder`.
 */
export function acknowledgePrefixGrant(holder: IConstruct, bucket: s3.IBucket, prefix: string): void {
  const logicalId = Stack.of(bucket).getLogicalId(bucket.node.defaultChild as CfnElement);
  Validations.of(holder).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/${prefix}*]`,
    reason: `objects under ${prefix} are named at run time (content digests, sequence numbers, operation ids); access stays limited to that prefix`,
  });
}
