import { type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { StackConfig } from '#core/stack-config.ts';

type ReplicaConfig = Exclude<StackConfig['replica'], false>;

/** The replication rule's id: the ReplicationLatency metrics carry it as a dimension. */
export const REPLICA_RULE_ID = 'offsite-replica';

/**
 * Replicates every new version of the backup bucket to a bucket in another region or account, with S3
 * Replication Time Control (15 minutes, metrics on), through a role that may read exactly what replication
 * reads here and write replicas there. Delete markers follow (a purge reaches the replica; its own Object Lock
 * still keeps the versions it must); Object Lock retention and legal holds are copied when the replica has
 * Object Lock.
 */
export class BucketReplica extends Construct {
  readonly role: iam.Role;
  readonly config: ReplicaConfig;
  /** Seconds behind (the most delayed object in the period); no data while nothing is replicated. */
  private readonly latency: cloudwatch.Metric;
  private readonly failures: cloudwatch.Metric;

  constructor(scope: Construct, id: string, source: s3.Bucket, sourceKey: kms.IKey, replica: ReplicaConfig) {
    super(scope, id);
    this.config = replica;
    const region = Stack.of(this).region;
    const replicaArn = `arn:aws:s3:::${replica.bucket}`;
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('s3.amazonaws.com'),
      description: `offsite: replicates the backup bucket to ${replica.bucket} (${replica.region})`,
    });
    for (const statement of [
      new iam.PolicyStatement({
        actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'],
        resources: [source.bucketArn],
      }),
      new iam.PolicyStatement({
        actions: [
          's3:GetObjectVersionForReplication',
          's3:GetObjectVersionAcl',
          's3:GetObjectVersionTagging',
          's3:GetObjectRetention',
          's3:GetObjectLegalHold',
        ],
        resources: [source.arnForObjects('*')],
      }),
      new iam.PolicyStatement({
        actions: [
          's3:ReplicateObject',
          's3:ReplicateDelete',
          's3:ReplicateTags',
          ...(replica.account ? ['s3:ObjectOwnerOverrideToBucketOwner'] : []),
        ],
        resources: [`${replicaArn}/*`],
      }),
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [sourceKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` } },
      }),
      new iam.PolicyStatement({
        actions: ['kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [replica.kmsKeyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${replica.region}.amazonaws.com` } },
      }),
    ])
      this.role.addToPolicy(statement);
    const sourceId = Stack.of(source).getLogicalId(source.node.defaultChild as CfnElement);
    Validations.of(this.role).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::<${sourceId}.Arn>/*]`,
        reason:
          'replication copies every object of the backup bucket, whatever its key; the role may only read them for replication',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${replicaArn}/*]`,
        reason:
          'replicas keep the keys of their source objects, named at run time; the role may only replicate into that bucket',
      },
    );

    const cfn = source.node.defaultChild as s3.CfnBucket;
    cfn.replicationConfiguration = {
      role: this.role.roleArn,
      rules: [
        {
          id: REPLICA_RULE_ID,
          status: 'Enabled',
          priority: 0,
          filter: { prefix: '' },
          deleteMarkerReplication: { status: 'Enabled' },
          sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: 'Enabled' } },
          destination: {
            bucket: replicaArn,
            storageClass: replica.storageClass,
            encryptionConfiguration: { replicaKmsKeyId: replica.kmsKeyArn },
            replicationTime: { status: 'Enabled', time: { minutes: 15 } },
            metrics: { status: 'Enabled', eventThreshold: { minutes: 15 } },
            ...(replica.account
              ? { account: replica.account, accessControlTranslation: { owner: 'Destination' } }
              : {}),
          },
        },
      ],
    };
    const dimensionsMap = {
      SourceBucket: source.bucketName,
      DestinationBucket: replica.bucket,
      RuleId: REPLICA_RULE_ID,
    };
    this.latency = new cloudwatch.Metric({
      namespace: 'AWS/S3',
      metricName: 'ReplicationLatency',
      dimensionsMap,
      statistic: 'Maximum',
      period: Duration.minutes(1),
    });
    this.failures = new cloudwatch.Metric({
      namespace: 'AWS/S3',
      metricName: 'OperationsFailedReplication',
      dimensionsMap,
      statistic: 'Sum',
      period: Duration.minutes(5),
    });
  }

  /** The lag and failure alarms, notifying `action`. */
  alarmTo(action: cloudwatch.IAlarmAction): void {
    const { region, bucket, lagAlarmSeconds } = this.config;
    // Nothing replicated means no data, not lag: missing data does not breach.
    this.latency
      .createAlarm(this, 'LagAlarm', {
        alarmDescription: `offsite: the replica in ${region} is more than ${lagAlarmSeconds}s behind the backup bucket`,
        threshold: lagAlarmSeconds,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 5,
        datapointsToAlarm: 5,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      })
      .addAlarmAction(action);
    this.failures
      .createAlarm(this, 'FailedAlarm', {
        alarmDescription: `offsite: objects failed to replicate to ${bucket}; see the S3 replication failure events`,
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      })
      .addAlarmAction(action);
  }
}
