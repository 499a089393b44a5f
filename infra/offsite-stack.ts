import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ENV } from '#core/env-names.ts';
import { keyPrefixes } from '#core/index-keys.ts';
import { SCHEDULE_JOBS, SCHEDULE_OFF, type StackConfig, scheduleFor } from '#core/stack-config.ts';
import { BUCKET } from '#core/storage/bucket-layout.ts';
import { AgentIdentity, sharedAgentPolicy } from '#infra/constructs/agent-identity.ts';
import { BucketReplica } from '#infra/constructs/bucket-replica.ts';
import { OffsiteFunction } from '#infra/constructs/offsite-function.ts';
import { PersonRoles } from '#infra/constructs/person-roles.ts';

export interface OffsiteStackProps extends StackProps {
  readonly config: StackConfig;
}

/** Names of the key attributes, shared with the local cloud and the functions through core/. */
const PK = 'pk';
const SK = 'sk';

export class OffsiteStack extends Stack {
  constructor(scope: Construct, id: string, props: OffsiteStackProps) {
    super(scope, id, props);
    const { config } = props;

    const key = new kms.Key(this, 'DataKey', {
      description: 'offsite: encrypts backups, index, queues and alarms at rest',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Restore drills sign their attestations with this key; only its public half ever leaves KMS.
    const drillKey = new kms.Key(this, 'DrillSigningKey', {
      description: 'offsite: signs restore drill attestations (ECDSA P-256)',
      keySpec: kms.KeySpec.ECC_NIST_P256,
      keyUsage: kms.KeyUsage.SIGN_VERIFY,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // --- S3 ---------------------------------------------------------------------------------------------
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [
        { expiration: Duration.days(365), abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const lifecycleRules: s3.LifecycleRule[] = [
      { id: 'abort-incomplete-multipart', abortIncompleteMultipartUploadAfter: Duration.days(2) },
      { id: 'expire-noncurrent', noncurrentVersionExpiration: Duration.days(config.noncurrentVersionDays) },
      ...(config.coldPacks === false
        ? []
        : [
            {
              id: 'cold-packs',
              prefix: BUCKET.packs,
              transitions: [
                {
                  storageClass: coldStorageClass(config.coldPacks.storageClass),
                  transitionAfter: Duration.days(config.coldPacks.days),
                },
              ],
            },
          ]),
      // Plans, results, restore bundles and reports go with their operation's record (TTL), with a margin
      // for an operation that ran a while. Exports (exports/) and quarantine/ stay until removed by hand.
      {
        id: 'expire-operations',
        prefix: BUCKET.operations,
        expiration: Duration.days(config.operationRetentionDays + 2),
      },
    ];
    const backupBucket = new s3.Bucket(this, 'BackupBucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      versioned: true,
      objectLockEnabled: config.objectLock !== false,
      objectLockDefaultRetention:
        config.objectLock === false
          ? undefined
          : config.objectLock.mode === 'COMPLIANCE'
            ? s3.ObjectLockRetention.compliance(Duration.days(config.objectLock.days))
            : s3.ObjectLockRetention.governance(Duration.days(config.objectLock.days)),
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'backup-bucket/',
      lifecycleRules,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    if (config.coldPacks !== false) {
      // Only packs the colder classes bill by their size move. CloudFormation types the size as a string
      // (a Long), which the construct's number does not give.
      const at = lifecycleRules.findIndex((r) => r.id === 'cold-packs');
      (backupBucket.node.defaultChild as s3.CfnBucket).addPropertyOverride(
        `LifecycleConfiguration.Rules.${at}.ObjectSizeGreaterThan`,
        String(128 * 1024),
      );
    }

    // --- DynamoDB ---------------------------------------------------------------------------------------
    const tableDefaults = {
      partitionKey: { name: PK, type: dynamodb.AttributeType.STRING },
      sortKey: { name: SK, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: key,
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
    } as const;

    // The point-in-time index: segments, accounts, item versions, blob references. Never expires, but for
    // the short-lived references of incoming bodies (expiresAt).
    const indexTable = new dynamodb.Table(this, 'IndexTable', {
      ...tableDefaults,
      timeToLiveAttribute: 'expiresAt',
      ...(config.indexTableClass === 'STANDARD_INFREQUENT_ACCESS'
        ? { tableClass: dynamodb.TableClass.STANDARD_INFREQUENT_ACCESS }
        : {}),
    });
    indexTable.addGlobalSecondaryIndex({
      indexName: 'gsi1',
      partitionKey: { name: 'gsi1pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'gsi1sk', type: dynamodb.AttributeType.STRING },
    });

    // Operations and their progress; finished ones expire through TTL.
    const operationsTable = new dynamodb.Table(this, 'OperationsTable', {
      ...tableDefaults,
      timeToLiveAttribute: 'expiresAt',
    });
    operationsTable.addGlobalSecondaryIndex({
      indexName: 'byState',
      partitionKey: { name: 'state', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'createdAt', type: dynamodb.AttributeType.STRING },
    });

    // --- SQS --------------------------------------------------------------------------------------------
    const queueDefaults = {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      dataKeyReuse: Duration.hours(1),
      enforceSSL: true,
    } as const;
    const deadLetter = (id: string, fifo: boolean) =>
      new sqs.Queue(this, id, {
        ...queueDefaults,
        fifo: fifo || undefined,
        retentionPeriod: Duration.days(14),
        // The plan and work dead letters are consumed (their operations end as failed).
        visibilityTimeout: Duration.minutes(1),
      });

    const ingestDlq = deadLetter('IngestDeadLetterQueue', true);
    const ingestQueue = new sqs.Queue(this, 'IngestQueue', {
      ...queueDefaults,
      fifo: true,
      // The agent sets the deduplication id to the segment identity: re-announcing is harmless.
      contentBasedDeduplication: false,
      visibilityTimeout: Duration.minutes(15),
      retentionPeriod: Duration.days(14),
      deadLetterQueue: { queue: ingestDlq, maxReceiveCount: 5 },
    });
    const planDlq = deadLetter('PlanDeadLetterQueue', false);
    const planQueue = new sqs.Queue(this, 'PlanQueue', {
      ...queueDefaults,
      visibilityTimeout: Duration.minutes(15),
      deadLetterQueue: { queue: planDlq, maxReceiveCount: 3 },
    });
    const workDlq = deadLetter('WorkDeadLetterQueue', false);
    const workQueue = new sqs.Queue(this, 'WorkQueue', {
      ...queueDefaults,
      visibilityTimeout: Duration.minutes(30),
      deadLetterQueue: { queue: workDlq, maxReceiveCount: 3 },
    });

    // --- SNS: finished operations (alarms have their own topic below) -----------------------------------
    const operationsTopic = new sns.Topic(this, 'OperationsTopic', { masterKey: key, enforceSSL: true });
    if (config.operationsEmail)
      operationsTopic.addSubscription(new subscriptions.EmailSubscription(config.operationsEmail));

    const purgeDlq = deadLetter('PurgeDeadLetterQueue', false);
    const purgeQueue = new sqs.Queue(this, 'PurgeQueue', {
      ...queueDefaults,
      visibilityTimeout: Duration.minutes(30),
      deadLetterQueue: { queue: purgeDlq, maxReceiveCount: 3 },
    });

    const auditDlq = deadLetter('AuditDeadLetterQueue', false);
    const auditQueue = new sqs.Queue(this, 'AuditQueue', {
      ...queueDefaults,
      visibilityTimeout: Duration.minutes(30),
      deadLetterQueue: { queue: auditDlq, maxReceiveCount: 3 },
    });

    const transferDlq = deadLetter('TransferDeadLetterQueue', false);
    const transferQueue = new sqs.Queue(this, 'TransferQueue', {
      ...queueDefaults,
      visibilityTimeout: Duration.minutes(30),
      deadLetterQueue: { queue: transferDlq, maxReceiveCount: 3 },
    });

    const index = { table: indexTable, indexes: ['gsi1'] };
    const operations = { table: operationsTable, indexes: ['byState'] };

    // --- Functions --------------------------------------------------------------------------------------
    const logRetention = config.logRetentionDays as logs.RetentionDays;

    const indexer = new OffsiteFunction(this, 'Indexer', {
      handler: 'indexer',
      description: 'Indexes announced redo segments and LDAP dumps into the point-in-time catalog',
      timeout: Duration.minutes(2),
      memorySize: 1024,
      logRetention,
    })
      .writesTable(ENV.indexTable, index)
      .readsBucket(ENV.backupBucket, backupBucket, BUCKET.servers)
      .writesBucket(ENV.backupBucket, backupBucket, BUCKET.blobs)
      .writesBucket(ENV.backupBucket, backupBucket, BUCKET.packs)
      .sendsTo(ENV.ingestQueueUrl, ingestQueue)
      // A reindex's share is the indexer's: it reports it and may finish the operation.
      .writesTable(ENV.operationsTable, operations)
      .consumes(ingestQueue, { batchSize: 10 });

    const control = new OffsiteFunction(this, 'Control', {
      handler: 'control',
      description: 'Control API: validates and records operations, answers catalog queries',
      timeout: Duration.seconds(29),
      logRetention,
    })
      .writesTable(ENV.operationsTable, operations)
      .readsTable(ENV.indexTable, index)
      .sendsTo(ENV.planQueueUrl, planQueue)
      // Bridging a gap is the indexer's work: the control API queues it in the server's group.
      .sendsTo(ENV.ingestQueueUrl, ingestQueue)
      // Restore drills: the signed attestations, and the public key that verifies them.
      .readsBucket(ENV.backupBucket, backupBucket, BUCKET.drills)
      .publishesKeyOf(ENV.drillSigningKey, drillKey);
    const controlUrl = control.fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });

    // The agents' own API (a function URL of its own): the operations dispatched to their servers and
    // nothing else, so a mail host's credentials cannot start, stop or read operations, or query the index.
    const agentControl = new OffsiteFunction(this, 'AgentControl', {
      handler: 'agent-control',
      description: 'Agent API: lists, claims and reports the operations dispatched to a server',
      timeout: Duration.seconds(29),
      logRetention,
    })
      .writesTable(ENV.operationsTable, operations)
      // Which bodies the store holds (verified blobs), for agents that may not read the bucket.
      .readsTableKeys(ENV.indexTable, index, [`${keyPrefixes.blob}*`]);
    const agentControlUrl = agentControl.fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });

    const planner = new OffsiteFunction(this, 'Planner', {
      handler: 'planner',
      description: 'Plans an operation and fans its work items out on the work queue',
      timeout: Duration.minutes(2),
      logRetention,
    })
      .writesTable(ENV.operationsTable, operations)
      .readsTable(ENV.indexTable, index)
      .writesBucket(ENV.backupBucket, backupBucket, BUCKET.operations)
      .sendsTo(ENV.workQueueUrl, workQueue)
      .sendsTo(ENV.purgeQueueUrl, purgeQueue)
      .sendsTo(ENV.auditQueueUrl, auditQueue)
      .sendsTo(ENV.transferQueueUrl, transferQueue)
      // An export refuses a destination that holds one already; an import reads the export's manifest.
      .readsBucket(ENV.backupBucket, backupBucket, BUCKET.exports)
      // A directory restore --with-secrets takes the password hashes from the LDAP dumps (never the redo).
      .readsBucket(ENV.backupBucket, backupBucket, 'servers/*/ldap/')
      .transfersWith(ENV.transferBuckets, config.transferBuckets, false)
      // A reindex is queued in each server's ingest group, in order with that server's indexing.
      .sendsTo(ENV.ingestQueueUrl, ingestQueue)
      // An exclusive kind (purge) waits its turn: its plan goes back to the queue, delayed.
      .sendsTo(ENV.planQueueUrl, planQueue)
      .consumes(planQueue, { batchSize: 1 });

    // Deletes item versions and blob references (index), blobs and redo segments (a delete marker).
    const purger = new OffsiteFunction(this, 'Purger', {
      handler: 'purger',
      description: 'Purges one mailbox of history older than its retention; the last share sweeps blobs',
      timeout: Duration.minutes(5),
      memorySize: 1024,
      logRetention,
    })
      .writesTable(ENV.operationsTable, operations)
      .writesTable(ENV.indexTable, index)
      .writesBucket(ENV.backupBucket, backupBucket, BUCKET.operations)
      .purgesBucket(ENV.backupBucket, backupBucket, BUCKET.blobs)
      .purgesBucket(ENV.backupBucket, backupBucket, BUCKET.packs)
      .purgesBucket(ENV.backupBucket, backupBucket, BUCKET.servers)
      // Legal holds: the flags on what held accounts need (the planner decides which, from the index).
      .holdsObjects(backupBucket, [BUCKET.blobs, BUCKET.packs, BUCKET.servers])
      .consumes(purgeQueue, { batchSize: 1, maxConcurrency: 5 });

    const worker = new OffsiteFunction(this, 'Worker', {
      handler: 'worker',
      description: 'Runs one work item of an operation; the last one finalizes it',
      timeout: Duration.minutes(5),
      memorySize: 1024,
      logRetention,
    })
      .writesTable(ENV.operationsTable, operations)
      .readsTable(ENV.indexTable, index)
      .writesBucket(ENV.backupBucket, backupBucket, BUCKET.operations)
      .readsBucket(ENV.backupBucket, backupBucket, BUCKET.blobs)
      .readsBucket(ENV.backupBucket, backupBucket, BUCKET.packs)
      // A restore drill's last work item writes its signed attestation.
      .writesBucket(ENV.backupBucket, backupBucket, BUCKET.drills)
      .signsWith(ENV.drillSigningKey, drillKey)
      .consumes(workQueue, { batchSize: 1, maxConcurrency: config.restoreWorkers });

    const scheduler = new OffsiteFunction(this, 'Scheduler', {
      handler: 'scheduler',
      description:
        'Turns scheduled events into operations (SmartScan, purge, coherency, legal hold, drill, LDAP dump) and fails stalled ones',
      timeout: Duration.seconds(30),
      logRetention,
    })
      .writesTable(ENV.operationsTable, operations)
      .sendsTo(ENV.planQueueUrl, planQueue);
    for (const job of SCHEDULE_JOBS) {
      const expression = scheduleFor(config, job);
      if (expression !== SCHEDULE_OFF) scheduler.runsOnSchedule(job, expression);
    }
    // Coherency checks: read everything, and with --fix move what is damaged or orphaned to quarantine/.
    const auditor = new OffsiteFunction(this, 'Auditor', {
      handler: 'auditor',
      description:
        'Checks that stored objects are what the catalog says, and moves damage and orphans to quarantine',
      timeout: Duration.minutes(5),
      memorySize: 1024,
      logRetention,
    })
      .writesTable(ENV.operationsTable, operations)
      // Records what --fix moved to quarantine (QUARANTINED items), read back by later checks and restores;
      // deletes nothing of the index.
      .writesTable(ENV.indexTable, index, { deletes: false })
      .scansTable(index)
      .writesBucket(ENV.backupBucket, backupBucket, BUCKET.operations)
      .readsBucket(ENV.backupBucket, backupBucket, BUCKET.servers)
      .readsBucket(ENV.backupBucket, backupBucket, BUCKET.blobs)
      // A damaged pack's good bodies are copied into a new pack before it goes to quarantine.
      .writesBucket(ENV.backupBucket, backupBucket, BUCKET.packs)
      .quarantinesIn(ENV.backupBucket, backupBucket, [BUCKET.servers, BUCKET.blobs, BUCKET.packs])
      .consumes(auditQueue, { batchSize: 1, maxConcurrency: 5 });

    // Exports and imports: copies blobs between this deployment's store and an export, writes the export's
    // files, and for an import stores and announces the directory and mailboxes as an agent would.
    const transfer = new OffsiteFunction(this, 'Transfer', {
      handler: 'transfer',
      description:
        'Copies one share of an export or import; the last one writes the export or announces the import',
      timeout: Duration.minutes(5),
      memorySize: 1024,
      logRetention,
    })
      .writesTable(ENV.operationsTable, operations)
      // Where an export finds packed bodies; an import packs the bodies it brings and locates them.
      .readsTable(ENV.indexTable, index)
      .putsTableKeys(index, [`${keyPrefixes.blob}*`])
      .writesBucket(ENV.backupBucket, backupBucket, BUCKET.operations)
      .readsBucket(ENV.backupBucket, backupBucket, BUCKET.blobs)
      .writesBucket(ENV.backupBucket, backupBucket, BUCKET.packs)
      .writesBucket(ENV.backupBucket, backupBucket, BUCKET.exports)
      .writesBucket(ENV.backupBucket, backupBucket, 'servers/*/ldap/')
      .writesBucket(ENV.backupBucket, backupBucket, 'servers/*/scans/')
      .transfersWith(ENV.transferBuckets, config.transferBuckets, true)
      .sendsTo(ENV.ingestQueueUrl, ingestQueue)
      .consumes(transferQueue, { batchSize: 1, maxConcurrency: 5 });

    // Indexing work (go on, bridge, rebuild) is taken only from these functions; the rest is checked by key.
    indexer.authenticatesIngest(
      ENV.ingestInternalSenders,
      [indexer, control, planner, transfer],
      ENV.ingestDeadLetterQueueUrl,
      ingestDlq,
    );

    // Plan and work messages that failed on every try: their operations end as failed instead of running on.
    const deadLetters = new OffsiteFunction(this, 'DeadLetters', {
      handler: 'dead-letters',
      description: 'Ends as failed the operations whose plan or work item went to a dead-letter queue',
      timeout: Duration.seconds(10),
      logRetention,
    })
      .writesTable(ENV.operationsTable, operations)
      .consumes(planDlq, { batchSize: 10 })
      .consumes(workDlq, { batchSize: 10 })
      .consumes(purgeDlq, { batchSize: 10 })
      .consumes(auditDlq, { batchSize: 10 })
      .consumes(transferDlq, { batchSize: 10 });

    // With Object Lock, what operations write (plans, results, bundles) is locked a day, not the bucket's days.
    if (config.objectLock !== false)
      for (const fn of [planner, worker, purger, auditor, transfer])
        fn.locksBriefly(ENV.bucketObjectLock, backupBucket, BUCKET.operations);

    // Legal holds, the retention policy (POLICY items of the operations table) and their audit trail (AUDIT)
    // are the control API's alone to change: every other function writing that table is denied them.
    for (const fn of [
      indexer,
      agentControl,
      planner,
      purger,
      worker,
      scheduler,
      auditor,
      transfer,
      deadLetters,
    ])
      fn.mayNotWrite(operations, ['POLICY', 'AUDIT']);

    // Whoever may finish an operation sets its expiry and announces it.
    const finishOperations = [
      indexer,
      control,
      agentControl,
      planner,
      worker,
      scheduler,
      deadLetters,
      purger,
      auditor,
      transfer,
    ];
    for (const fn of finishOperations) {
      fn.fn.addEnvironment(ENV.operationRetentionDays, String(config.operationRetentionDays));
      fn.publishesTo(ENV.operationsTopicArn, operationsTopic);
    }
    // The scheduler fails stalled operations on every firing; the planner before an exclusive kind waits.
    for (const fn of [planner, scheduler])
      fn.fn.addEnvironment(ENV.operationStallHours, String(config.operationStallHours));

    // --- The agents' permissions: ship and announce, nothing else --------------------------------------
    const agentTargets = { bucket: backupBucket, ingestQueue, agentApiArn: agentControl.fn.functionArn };
    const agentIdentities = config.servers.map(
      (serverId) =>
        [
          serverId,
          new AgentIdentity(
            this,
            `Agent-${serverId}`,
            serverId,
            agentTargets,
            config.agentPrincipal
              ? new iam.ArnPrincipal(config.agentPrincipal)
              : new iam.AccountRootPrincipal(),
          ),
        ] as const,
    );
    // What a server's agent announces is taken only from its own role (checked by the indexer), and its
    // dispatches are served to that role alone (the agent API).
    const agentRoleIds = Stack.of(this).toJsonString(
      Object.fromEntries(agentIdentities.map(([id, a]) => [id, a.role.roleId])),
    );
    for (const fn of [indexer, agentControl]) fn.fn.addEnvironment(ENV.agentRoleIds, agentRoleIds);
    const agentPolicy = agentIdentities.length === 0 ? sharedAgentPolicy(this, agentTargets) : undefined;

    // --- People: operator, help desk, compliance (the control API checks the role against the request) ---
    const people = new PersonRoles(
      this,
      'People',
      { bucket: backupBucket, controlApiArn: control.fn.functionArn },
      config.peoplePrincipal ? new iam.ArnPrincipal(config.peoplePrincipal) : new iam.AccountRootPrincipal(),
    );
    control.fn.addEnvironment(
      ENV.personRoleIds,
      Stack.of(this).toJsonString(
        Object.fromEntries(Object.entries(people.roles).map(([person, role]) => [person, role.roleId])),
      ),
    );

    // --- The second copy: replication to another region or account, and the tables exported beside it ---
    const replica =
      config.replica === false
        ? undefined
        : new BucketReplica(this, 'Replica', backupBucket, key, config.replica);
    if (replica)
      new OffsiteFunction(this, 'IndexExport', {
        handler: 'index-export',
        description: 'Exports the index and operations tables into index-exports/, which replication copies',
        timeout: Duration.seconds(30),
        logRetention,
      })
        .exportsTables(
          ENV.exportedTables,
          [indexTable, operationsTable],
          ENV.backupBucket,
          backupBucket,
          BUCKET.indexExports,
        )
        .runsOnSchedule('index-export', replica.config.indexExport);

    // --- Alarms -----------------------------------------------------------------------------------------
    const alarmTopic = new sns.Topic(this, 'AlarmTopic', { masterKey: key, enforceSSL: true });
    key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    if (config.alarmEmail) alarmTopic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail));
    const notify = new cwActions.SnsAction(alarmTopic);

    ingestDlq
      .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' })
      .createAlarm(this, 'IngestDeadLettersAlarm', {
        alarmDescription: 'offsite: messages in the ingest dead-letter queue need attention',
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      })
      .addAlarmAction(notify);
    replica?.alarmTo(notify);

    // An agent that stops reporting is as bad as one that lags: missing data breaches.
    const lag = new cloudwatch.Metric({
      namespace: 'Offsite',
      metricName: 'AgentLagSeconds',
      statistic: 'Maximum',
      period: Duration.minutes(1),
    }).createAlarm(this, 'AgentLagAlarm', {
      alarmDescription: `offsite: an agent is more than ${config.agentLagAlarmSeconds}s behind its live redo log, or silent`,
      threshold: config.agentLagAlarmSeconds,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    lag.addAlarmAction(notify);

    // Counts that must stay at zero: one in five minutes raises the alarm.
    for (const [id, service, metricName, what] of [
      // The plan and work dead-letter queues are emptied by the DeadLetters function, which counts them.
      [
        'OperationDeadLettersAlarm',
        'offsite-dead-letters',
        'OperationDeadLetters',
        'an operation failed because its plan or a work item failed on every try; see offsite ops list --state failed',
      ],
      // A restore drill that did not restore what the index holds: the backup may not be usable.
      [
        'DrillFailedAlarm',
        'offsite-worker',
        'DrillsFailed',
        'a restore drill failed (items did not restore as the index holds them); see offsite drill list',
      ],
      // Indexing that stands still (a gap, a segment that cannot be parsed), or records it had to skip.
      [
        'IndexGapAlarm',
        'offsite-indexer',
        'IndexGaps',
        'a server has a gap in its redo segments; see offsite backup list',
      ],
      [
        'QuarantineAlarm',
        'offsite-indexer',
        'SegmentsQuarantined',
        'a redo segment is quarantined and holds its server back',
      ],
      [
        'UndecodedRedoAlarm',
        'offsite-indexer',
        'RedoRecordsUndecoded',
        'redo records did not decode (an op of a newer server release?): their mailboxes are uncertain until a scan; see offsite backup list',
      ],
    ] as const) {
      new cloudwatch.Metric({
        namespace: 'Offsite',
        metricName,
        dimensionsMap: { service },
        statistic: 'Sum',
        period: Duration.minutes(5),
      })
        .createAlarm(this, id, {
          alarmDescription: `offsite: ${what}`,
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        })
        .addAlarmAction(notify);
    }

    new CfnOutput(this, 'BackupBucketName', { value: backupBucket.bucketName });
    new CfnOutput(this, 'IngestQueueUrl', { value: ingestQueue.queueUrl });
    new CfnOutput(this, 'ControlUrl', { value: controlUrl.url });
    new CfnOutput(this, 'AgentControlUrl', { value: agentControlUrl.url });
    if (agentPolicy) new CfnOutput(this, 'AgentPolicyArn', { value: agentPolicy.managedPolicyArn });
    new CfnOutput(this, 'PersonRoles', {
      description: 'the roles people assume for the CLI (operator, help-desk, compliance)',
      value: Stack.of(this).toJsonString(
        Object.fromEntries(Object.entries(people.roles).map(([person, role]) => [person, role.roleArn])),
      ),
    });
    if (!agentPolicy)
      new CfnOutput(this, 'AgentRoles', {
        description:
          'the role each mail server agent assumes (aws.roleArn in its configuration), by server id',
        value: Stack.of(this).toJsonString(
          Object.fromEntries(agentIdentities.map(([id, a]) => [id, a.role.roleArn])),
        ),
      });
    new CfnOutput(this, 'OperationsTopicArn', { value: operationsTopic.topicArn });
    if (replica)
      new CfnOutput(this, 'ReplicationRoleArn', {
        description: "the role S3 replicates with: the replica bucket's policy allows it",
        value: replica.role.roleArn,
      });
    new CfnOutput(this, 'DrillSigningKeyArn', {
      description:
        'verifies restore drill attestations (aws kms get-public-key, or offsite drill show --verify)',
      value: drillKey.keyArn,
    });
  }
}

function coldStorageClass(name: 'GLACIER_IR' | 'STANDARD_IA' | 'INTELLIGENT_TIERING'): s3.StorageClass {
  if (name === 'STANDARD_IA') return s3.StorageClass.INFREQUENT_ACCESS;
  if (name === 'INTELLIGENT_TIERING') return s3.StorageClass.INTELLIGENT_TIERING;
  return s3.StorageClass.GLACIER_INSTANT_RETRIEVAL;
}
