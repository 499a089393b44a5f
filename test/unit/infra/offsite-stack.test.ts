import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { createApp } from '#infra/create-app.ts';

function synth(offsite: Record<string, unknown> = {}) {
  const outdir = mkdtempSync(path.join(tmpdir(), 'offsite-stack-'));
  // No bundling: the assertions read the template, and `npm test` bundles every function once in `cdk synth`.
  const { app, stack } = createApp({ outdir, context: { offsite, 'aws:cdk:bundling-stacks': [] } });
  const template = Template.fromStack(stack);
  // cdk-nag runs as a validation plugin during synthesis and throws on any unacknowledged finding.
  app.synth();
  return template;
}

const template = synth();
/** The logical id of an OffsiteFunction's Lambda function. */
const fnId = (name: string) => {
  const id = Object.keys(template.findResources('AWS::Lambda::Function')).find((k) =>
    k.startsWith(`${name}Function`),
  );
  assert.ok(id, `a ${name} function`);
  return id;
};

describe('OffsiteStack', () => {
  it('keeps backups in a versioned, KMS-encrypted, private, TLS-only bucket', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }),
          }),
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 } }),
          Match.objectLike({ Prefix: 'operations/', ExpirationInDays: 32 }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ VersioningConfiguration: Match.anyValue() }),
    });
  });

  it('moves packs over 128 KiB to Glacier Instant Retrieval after 30 days by default, as configured, or not', () => {
    const coldRule = (storageClass: string, days: number) =>
      Match.objectLike({
        Id: 'cold-packs',
        Prefix: 'packs/',
        ObjectSizeGreaterThan: '131072',
        Transitions: [{ StorageClass: storageClass, TransitionInDays: days }],
      });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: Match.arrayWith([coldRule('GLACIER_IR', 30)]) },
    });
    synth({ coldPacks: { days: 7, storageClass: 'STANDARD_IA' } }).hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: Match.arrayWith([coldRule('STANDARD_IA', 7)]) },
    });
    const off = synth({ coldPacks: false }).findResources('AWS::S3::Bucket');
    assert.ok(!JSON.stringify(off).includes('cold-packs'), 'no transition when turned off');
  });

  it('keeps the index table in the standard class unless told to store it as infrequently accessed', () => {
    const classes = (t: Template) =>
      Object.entries(t.findResources('AWS::DynamoDB::Table')).map(([id, r]) => [
        id.replace(/[0-9A-F]{8}$/, ''),
        (r.Properties as { TableClass?: string }).TableClass ?? 'STANDARD',
      ]);
    assert.deepEqual(classes(template), [
      ['IndexTable', 'STANDARD'],
      ['OperationsTable', 'STANDARD'],
    ]);
    assert.deepEqual(classes(synth({ indexTableClass: 'STANDARD_INFREQUENT_ACCESS' })), [
      ['IndexTable', 'STANDARD_INFREQUENT_ACCESS'],
      ['OperationsTable', 'STANDARD'],
    ]);
    assert.throws(() => synth({ indexTableClass: 'GLACIER' }), /indexTableClass/);
  });

  it('turns Object Lock on by default (GOVERNANCE, 30 days), with the chosen mode and days, or off', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 30 } },
      },
    });
    synth({ objectLock: false }).hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      ObjectLockEnabled: false,
      ObjectLockConfiguration: Match.absent(),
    });
    const locked = synth({ objectLock: { mode: 'COMPLIANCE', days: 365 } });
    locked.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } },
      },
    });
  });

  it('has on-demand, PITR, KMS tables; operations expire by TTL', () => {
    const tables = template.findResources('AWS::DynamoDB::Table');
    assert.equal(Object.keys(tables).length, 2);
    for (const table of Object.values(tables)) {
      assert.equal(table.Properties.BillingMode, 'PAY_PER_REQUEST');
      assert.deepEqual(table.Properties.PointInTimeRecoverySpecification, {
        PointInTimeRecoveryEnabled: true,
      });
      assert.equal(table.Properties.SSESpecification.SSEEnabled, true);
      assert.equal(table.Properties.SSESpecification.SSEType, 'KMS');
      assert.equal(table.DeletionPolicy, 'Retain');
    }
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'byState' })],
    });
  });

  it('gives every queue a dead-letter queue and a visibility timeout ≥ 6 × its consumer timeout', () => {
    const queues = template.findResources('AWS::SQS::Queue');
    const functions = template.findResources('AWS::Lambda::Function');
    const mappings = template.findResources('AWS::Lambda::EventSourceMapping');
    assert.equal(Object.keys(mappings).length, 11);
    const deadLetterQueues = new Set(
      Object.values(queues)
        .map(
          (q) => q.Properties.RedrivePolicy?.deadLetterTargetArn?.['Fn::GetAtt']?.[0] as string | undefined,
        )
        .filter((id) => id !== undefined),
    );
    for (const mapping of Object.values(mappings)) {
      const queueId = mapping.Properties.EventSourceArn['Fn::GetAtt'][0] as string;
      const functionId = mapping.Properties.FunctionName.Ref as string;
      const queue = queues[queueId];
      assert.ok(queue, queueId);
      assert.deepEqual(mapping.Properties.FunctionResponseTypes, ['ReportBatchItemFailures']);
      if (deadLetterQueues.has(queueId))
        // Only the DeadLetters function reads a dead-letter queue (plan and work: their operations fail).
        assert.match(functionId, /^DeadLetters/, `${queueId} is consumed by ${functionId}`);
      else assert.ok(queue.Properties.RedrivePolicy?.maxReceiveCount >= 3, `${queueId} has a redrive policy`);
      const timeout = functions[functionId]?.Properties.Timeout as number;
      assert.ok(
        queue.Properties.VisibilityTimeout >= 6 * timeout,
        `${queueId}: ${queue.Properties.VisibilityTimeout} ≥ 6 × ${timeout}`,
      );
      assert.ok(queue.Properties.KmsMasterKeyId, `${queueId} is encrypted with the customer key`);
    }
    template.hasResourceProperties('AWS::SQS::Queue', { FifoQueue: true, ContentBasedDeduplication: false });
  });

  it('runs every function on Node 24, arm64, traced, with its own log group and no managed policy', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    assert.equal(functions.length, 10);
    for (const fn of functions) {
      assert.equal(fn.Properties.Runtime, 'nodejs24.x');
      assert.deepEqual(fn.Properties.Architectures, ['arm64']);
      assert.deepEqual(fn.Properties.TracingConfig, { Mode: 'Active' });
      assert.ok(fn.Properties.LoggingConfig.LogGroup, 'own log group');
      assert.equal(fn.Properties.Environment.Variables.NODE_OPTIONS, '--enable-source-maps');
    }
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
      assert.equal(role.Properties.ManagedPolicyArns, undefined);
    }
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('grants the indexer read on servers/ and put on blobs/ only, never delete', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const indexer = Object.entries(policies).find(([id]) => id.startsWith('IndexerRole'));
    assert.ok(indexer);
    const statements = indexer[1].Properties.PolicyDocument.Statement as {
      Action: string | string[];
      Resource: unknown;
    }[];
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    assert.ok(actions.includes('s3:PutObject'));
    assert.ok(!actions.some((a) => a.startsWith('s3:Delete')), 'no delete');
    assert.ok(!actions.some((a) => a.includes('*')), `no wildcard actions: ${actions.join(', ')}`);
    const text = JSON.stringify(statements);
    assert.match(text, /\/servers\/\*/);
    assert.match(text, /\/blobs\/\*/);
    assert.doesNotMatch(text, /\/operations\//);
  });

  /** The S3 statements of a function's role, as text, and every action they grant. */
  function bucketGrants(role: string): { text: string; actions: string[] } {
    const policies = template.findResources('AWS::IAM::Policy');
    const found = Object.entries(policies).find(([id]) => id.startsWith(role));
    assert.ok(found, `${role} has a policy`);
    const statements = (
      found[1].Properties.PolicyDocument.Statement as { Action: string | string[] }[]
    ).filter((s) => [s.Action].flat().some((a) => a.startsWith('s3:')));
    return { text: JSON.stringify(statements), actions: statements.flatMap((s) => [s.Action].flat()) };
  }

  it('lets restore workers read blobs/ and write operations/ only; the planner writes operations/, reads no blob and of servers/ only the LDAP dumps', () => {
    const worker = bucketGrants('WorkerRole');
    assert.match(worker.text, /\/blobs\/\*/);
    assert.match(worker.text, /\/operations\/\*/);
    assert.doesNotMatch(worker.text, /\/servers\//);
    assert.ok(!worker.actions.some((a) => a.startsWith('s3:Delete')), 'no delete');
    const planner = bucketGrants('PlannerRole');
    assert.match(planner.text, /\/operations\/\*/);
    assert.doesNotMatch(planner.text, /\/blobs\//);
    // Password hashes for a directory restore --with-secrets come from the LDAP dumps, never the redo.
    const servers = planner.text.match(/\/servers\/[^"]*/g) ?? [];
    assert.ok(servers.length > 0);
    assert.ok(
      servers.every((s) => s.startsWith('/servers/*/ldap/')),
      servers.join(', '),
    );
  });

  it('bounds the restore workers by configuration, one work item per invocation', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 1,
      ScalingConfig: { MaximumConcurrency: 20 },
    });
  });

  it('schedules the jobs with the plain Scheduled Event, on rules named after the job', () => {
    for (const [job, expression] of [
      ['smartscan', 'cron(0 2 * * ? *)'],
      ['purge', 'cron(0 4 ? * SUN *)'],
      ['coherency', 'cron(0 5 1 * ? *)'],
      ['legal-hold', 'cron(30 3 * * ? *)'],
      ['drill', 'cron(0 6 * * ? *)'],
      ['sweep', 'rate(30 minutes)'],
    ]) {
      template.hasResourceProperties('AWS::Events::Rule', {
        Name: `Offsite-${job}`,
        ScheduleExpression: expression,
        Targets: [Match.objectLike({ Input: Match.absent(), RetryPolicy: { MaximumRetryAttempts: 2 } })],
      });
    }
    // The agents dump LDAP on their own interval: no rule unless configured, and none for a job not built.
    const names = Object.values(template.findResources('AWS::Events::Rule')).map((r) => r.Properties.Name);
    assert.deepEqual(
      names.filter((n) => /ldap-dump|reconcile/.test(String(n))),
      [],
    );
    const scheduled = synth({ schedules: { 'ldap-dump': 'rate(6 hours)' } });
    scheduled.hasResourceProperties('AWS::Events::Rule', {
      Name: 'Offsite-ldap-dump',
      ScheduleExpression: 'rate(6 hours)',
    });
  });

  it('alarms on dead letters and on agent lag, treating a silent agent as lagging', () => {
    // Ingest dead letters wait in their queue; plan and work ones are consumed and counted.
    template.resourcePropertiesCountIs(
      'AWS::CloudWatch::Alarm',
      { MetricName: 'ApproximateNumberOfMessagesVisible' },
      1,
    );
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'OperationDeadLetters',
      Namespace: 'Offsite',
      Dimensions: [{ Name: 'service', Value: 'offsite-dead-letters' }],
      Threshold: 1,
      AlarmActions: [Match.objectLike({ Ref: Match.stringLikeRegexp('AlarmTopic') })],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'AgentLagSeconds',
      Namespace: 'Offsite',
      Threshold: 300,
      TreatMissingData: 'breaching',
      AlarmActions: [Match.objectLike({ Ref: Match.stringLikeRegexp('AlarmTopic') })],
    });
  });

  it('signs drill attestations with an asymmetric KMS key only the worker may sign with, and alarms on a failed drill', () => {
    const keys = template.findResources('AWS::KMS::Key', {
      Properties: { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' },
    });
    const [keyId] = Object.keys(keys);
    assert.equal(Object.keys(keys).length, 1, 'one signing key');
    const policies = Object.entries(template.findResources('AWS::IAM::Policy'));
    const kmsActions = (role: string) =>
      policies
        .filter(([id]) => id.startsWith(role))
        .flatMap(
          ([, p]) =>
            p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
        )
        .filter((s) => JSON.stringify(s.Resource).includes(keyId as string))
        .flatMap((s) => [s.Action].flat());
    assert.deepEqual(kmsActions('WorkerRole'), ['kms:Sign']);
    assert.deepEqual(kmsActions('ControlRole'), ['kms:GetPublicKey']);
    // Nobody else signs: an attestation signed by the key came from a drill.
    const signers = policies
      .filter(([, p]) => JSON.stringify(p.Properties.PolicyDocument).includes('kms:Sign'))
      .map(([id]) => id);
    assert.ok(signers.length === 1 && signers[0]?.startsWith('WorkerRole'), signers.join(', '));
    // The worker writes the attestations under drills/, the control API reads them.
    assert.match(bucketGrants('WorkerRole').text, /\/drills\/\*/);
    assert.match(bucketGrants('ControlRole').text, /\/drills\/\*/);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ OFFSITE_DRILL_SIGNING_KEY: { 'Fn::GetAtt': [keyId, 'Arn'] } }),
      },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'DrillsFailed',
      Namespace: 'Offsite',
      Dimensions: [{ Name: 'service', Value: 'offsite-worker' }],
      Threshold: 1,
      AlarmActions: [Match.objectLike({ Ref: Match.stringLikeRegexp('AlarmTopic') })],
    });
  });

  it('replicates the bucket to the configured replica with RTC, exports the tables beside it, and alarms on lag', () => {
    const replica = {
      bucket: 'offsite-replica-eu',
      region: 'eu-west-1',
      kmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      lagAlarmSeconds: 600,
    };
    const t = synth({ replica });
    t.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ReplicationConfiguration: {
        Role: Match.anyValue(),
        Rules: [
          Match.objectLike({
            Id: 'offsite-replica',
            Status: 'Enabled',
            Filter: { Prefix: '' },
            DeleteMarkerReplication: { Status: 'Enabled' },
            SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } },
            Destination: Match.objectLike({
              Bucket: 'arn:aws:s3:::offsite-replica-eu',
              EncryptionConfiguration: { ReplicaKmsKeyID: replica.kmsKeyArn },
              ReplicationTime: { Status: 'Enabled', Time: { Minutes: 15 } },
              Metrics: { Status: 'Enabled', EventThreshold: { Minutes: 15 } },
            }),
          }),
        ],
      },
    });
    // The replication role writes replicas in the replica bucket alone, and may read but not delete here.
    const policies = Object.entries(t.findResources('AWS::IAM::Policy'));
    const [, role] = policies.find(([id]) => id.startsWith('ReplicaRole')) ?? [];
    assert.ok(role, 'a replication role policy');
    const statements = role.Properties.PolicyDocument.Statement as {
      Action: string | string[];
      Resource: unknown;
    }[];
    const actions = statements.flatMap((st) => [st.Action].flat());
    assert.ok(actions.includes('s3:ReplicateObject') && actions.includes('s3:GetObjectRetention'));
    assert.ok(!actions.some((a) => /^s3:(Delete|Put)/.test(a)), actions.join(', '));
    const replicateTo = statements.find((st) => [st.Action].flat().includes('s3:ReplicateObject'));
    assert.deepEqual(replicateTo?.Resource, 'arn:aws:s3:::offsite-replica-eu/*');
    // The tables are exported daily into index-exports/ by a function that may do that and nothing else.
    t.hasResourceProperties('AWS::Events::Rule', {
      Name: 'Offsite-index-export',
      ScheduleExpression: 'cron(0 7 * * ? *)',
    });
    const [, exporter] = policies.find(([id]) => id.startsWith('IndexExportRole')) ?? [];
    const exportText = JSON.stringify(exporter?.Properties.PolicyDocument);
    assert.match(exportText, /dynamodb:ExportTableToPointInTime/);
    assert.match(exportText, /\/index-exports\/\*/);
    assert.doesNotMatch(
      exportText,
      /dynamodb:(PutItem|DeleteItem|UpdateItem|Query|Scan)|s3:GetObject|s3:Delete/,
    );
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ReplicationLatency',
      Namespace: 'AWS/S3',
      Threshold: 600,
      Dimensions: Match.arrayWith([
        { Name: 'DestinationBucket', Value: 'offsite-replica-eu' },
        { Name: 'RuleId', Value: 'offsite-replica' },
      ]),
      TreatMissingData: 'notBreaching',
      AlarmActions: [Match.objectLike({ Ref: Match.stringLikeRegexp('AlarmTopic') })],
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'OperationsFailedReplication',
      Threshold: 1,
    });
    // Without a replica: no replication, no export, no replication alarms.
    assert.equal(JSON.stringify(template.toJSON()).includes('ReplicationConfiguration'), false);
    template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'ReplicationLatency' }, 0);
    assert.throws(() => synth({ replica: { ...replica, region: 'Europe' } }), /expected an AWS region/);
  });

  it('alarms when indexing stands still (a gap, a quarantined segment) or skips records that do not decode', () => {
    for (const metric of ['IndexGaps', 'SegmentsQuarantined', 'RedoRecordsUndecoded']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: metric,
        Namespace: 'Offsite',
        Dimensions: [{ Name: 'service', Value: 'offsite-indexer' }],
        Threshold: 1,
        AlarmActions: [Match.objectLike({ Ref: Match.stringLikeRegexp('AlarmTopic') })],
      });
    }
  });

  it("takes indexing work only from offsite's own functions' roles, and refuses the rest into the ingest DLQ", () => {
    const fn = template.findResources('AWS::Lambda::Function')[fnId('Indexer')];
    const env = fn?.Properties.Environment.Variables as Record<string, unknown>;
    const senders = JSON.stringify(env.OFFSITE_INGEST_INTERNAL_SENDERS);
    const roles = [...senders.matchAll(/"(\w+?)Role[0-9A-F]{8}","RoleId"/g)].map((m) => m[1]).sort();
    assert.deepEqual(roles, ['Control', 'Indexer', 'Planner', 'Transfer']);
    assert.match(JSON.stringify(env.OFFSITE_INGEST_DLQ_URL), /IngestDeadLetterQueue/);
  });

  it('lets the indexer queue its own continuation on the ingest queue, and nothing else', () => {
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('IndexerRole') }] },
    });
    const statements = Object.values(policies).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: { Action: string | string[] }[] } } }).Properties
          .PolicyDocument.Statement,
    );
    const sends = statements.filter((st) => [st.Action].flat().includes('sqs:SendMessage'));
    // The ingest queue (its continuation), and its dead-letter queue (what it refuses).
    assert.deepEqual(
      sends.map((st) => /"(Ingest(?:DeadLetter)?Queue)[0-9A-F]{8}"/.exec(JSON.stringify(st))?.[1]).sort(),
      ['IngestDeadLetterQueue', 'IngestQueue'],
    );
  });

  it('protects the control API and the agent API with IAM auth', () => {
    const urls = template.findResources('AWS::Lambda::Url');
    assert.deepEqual(
      Object.keys(urls)
        .map((id) => id.replace(/Function.*/, ''))
        .sort(),
      ['AgentControl', 'Control'],
    );
    for (const url of Object.values(urls)) assert.equal(url.Properties.AuthType, 'AWS_IAM');
  });

  it('lets the agent call the agent API only (through its URL), and the agent API touch the operations table and read blob items', () => {
    const [agentPolicy] = Object.values(template.findResources('AWS::IAM::ManagedPolicy'));
    assert.ok(agentPolicy, 'the agent policy');
    const invokes = (
      agentPolicy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]
    ).filter((st) => [st.Action].flat().some((a) => a.startsWith('lambda:')));
    // Both actions, as function URLs created since October 2025 require, each only through the URL.
    const agentApi = { 'Fn::GetAtt': [fnId('AgentControl'), 'Arn'] };
    assert.deepEqual(
      invokes.map((st) => [[st.Action].flat(), st.Resource, (st as { Condition?: unknown }).Condition]),
      [
        [
          ['lambda:InvokeFunctionUrl'],
          agentApi,
          { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
        ],
        [['lambda:InvokeFunction'], agentApi, { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } }],
      ],
    );
    const statements = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('AgentControl'))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]);
    const services = new Set(statements.flatMap((st) => [st.Action].flat().map((a) => a.split(':')[0])));
    // DynamoDB for its table, KMS for the table's key, SNS for notices, its logs, X-Ray; no S3, no SQS.
    assert.deepEqual([...services].sort(), ['dynamodb', 'kms', 'logs', 'sns', 'xray']);
    // The operations table; of the index, only blob items (which bodies are stored), and only reads.
    for (const st of statements as { Action: string | string[]; Resource?: unknown; Condition?: unknown }[]) {
      if (![st.Action].flat().some((a) => a.startsWith('dynamodb:'))) continue;
      const on = JSON.stringify(st.Resource);
      if (on.includes('OperationsTable')) continue;
      assert.match(on, /IndexTable/, `only the operations and index tables: ${on}`);
      assert.deepEqual([st.Action].flat().sort(), ['dynamodb:BatchGetItem', 'dynamodb:GetItem']);
      assert.deepEqual(st.Condition, { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['BLOB#*'] } });
    }
  });

  it('announces finished operations on an encrypted topic that only the functions finishing operations may publish to', () => {
    const topics = template.findResources('AWS::SNS::Topic');
    const [topicId, topic] = Object.entries(topics).find(([id]) => id.startsWith('OperationsTopic')) ?? [];
    assert.ok(topicId && topic, 'an operations topic');
    assert.ok(topic.Properties.KmsMasterKeyId, 'encrypted with the customer key');
    const publishers = new Set<string>();
    for (const [id, policy] of Object.entries(template.findResources('AWS::IAM::Policy'))) {
      for (const statement of policy.Properties.PolicyDocument.Statement as {
        Action: string | string[];
        Resource: unknown;
      }[]) {
        const actions = [statement.Action].flat();
        if (!actions.some((a) => a.startsWith('sns:'))) continue;
        assert.deepEqual(actions, ['sns:Publish'], id);
        assert.deepEqual(statement.Resource, { Ref: topicId }, id);
        publishers.add(id.replace(/Function.*|Role.*/, ''));
      }
    }
    assert.deepEqual([...publishers].sort(), [
      'AgentControl',
      'Auditor',
      'Control',
      'DeadLetters',
      'Indexer',
      'Planner',
      'Purger',
      'Scheduler',
      'Transfer',
      'Worker',
    ]);
    template.hasOutput('OperationsTopicArn', { Value: { Ref: topicId } });
  });

  it('lets the transfer function write only packs, exports, LDAP dumps and scans, and the transfer buckets', () => {
    const withBuckets = synth({ transferBuckets: ['offsite-archive'] });
    const objectsOf = (prefix: string, of = withBuckets) => {
      const out: { actions: string[]; resources: string[] }[] = [];
      for (const [id, policy] of Object.entries(of.findResources('AWS::IAM::Policy'))) {
        if (!id.startsWith(prefix)) continue;
        for (const statement of policy.Properties.PolicyDocument.Statement as {
          Action: string | string[];
          Resource: unknown;
        }[]) {
          const actions = [statement.Action].flat();
          if (!actions.some((a) => a.startsWith('s3:') && a !== 's3:ListBucket')) continue;
          const resources = [statement.Resource].flat().map((r) => {
            if (typeof r === 'string') return r;
            const join = (r as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
            return join
              ? join[1].map((part) => (typeof part === 'string' ? part : '<bucket>')).join('')
              : '?';
          });
          out.push({ actions, resources });
        }
      }
      return out;
    };
    const writes = (prefix: string) =>
      objectsOf(prefix)
        .filter((s) => s.actions.includes('s3:PutObject'))
        .flatMap((s) => s.resources)
        .sort();
    assert.deepEqual(writes('Transfer'), [
      '<bucket>/exports/*',
      '<bucket>/operations/*',
      '<bucket>/packs/*',
      '<bucket>/servers/*/ldap/*',
      '<bucket>/servers/*/scans/*',
      'arn:aws:s3:::offsite-archive/*',
    ]);
    // In the index, an import only locates the bodies it packed: puts of BLOB# items, one at a time.
    const indexWrites = Object.entries(withBuckets.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('Transfer'))
      .flatMap(
        ([, p]) =>
          p.Properties.PolicyDocument.Statement as {
            Action: unknown;
            Resource: unknown;
            Condition?: unknown;
          }[],
      )
      .filter(
        (st) =>
          JSON.stringify(st.Resource).includes('IndexTable') &&
          [st.Action]
            .flat()
            .some((a) => typeof a === 'string' && /^dynamodb:(Put|Update|Delete|BatchWrite)/.test(a)),
      );
    assert.deepEqual(
      indexWrites.map((st) => ({ actions: [st.Action].flat(), condition: st.Condition })),
      [
        {
          actions: ['dynamodb:PutItem'],
          condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['BLOB#*'] } },
        },
      ],
    );
    // The planner reads an import's manifest there, and writes only its own plans.
    assert.deepEqual(writes('Planner'), ['<bucket>/operations/*']);
    assert.ok(
      objectsOf('Planner').some((s) => s.resources.includes('arn:aws:s3:::offsite-archive/*')),
      'the planner reads the transfer bucket',
    );
    // Without transfer buckets, nothing outside the stack's own bucket.
    assert.ok(
      !objectsOf('Transfer', template).some((s) => s.resources.some((r) => r.startsWith('arn:aws:s3:::'))),
    );
  });

  it('lets only the purger and the auditor delete, and nothing destroy an object version for good', () => {
    const deleters = new Set<string>();
    for (const [id, policy] of Object.entries(template.findResources('AWS::IAM::Policy'))) {
      for (const statement of policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[]) {
        const actions = [statement.Action].flat();
        assert.ok(!actions.includes('s3:DeleteObjectVersion'), `${id} may not destroy versions`);
        if (actions.includes('s3:DeleteObject')) deleters.add(id.replace(/Function.*|Role.*/, ''));
      }
    }
    // The purger (retention) and the auditor (coherency --fix, moving to quarantine/).
    assert.deepEqual([...deleters].sort(), ['Auditor', 'Purger']);
    for (const policy of Object.values(template.findResources('AWS::IAM::ManagedPolicy')))
      for (const statement of policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[])
        assert.ok(
          ![statement.Action].flat().some((a) => a.startsWith('s3:Delete')),
          'the agent never deletes',
        );
  });

  it("leaves legal holds and the retention policy to the control API alone, and the index's deletes to the purger and indexer", () => {
    type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
    const byRole = new Map<string, Statement[]>();
    for (const [id, policy] of Object.entries(template.findResources('AWS::IAM::Policy'))) {
      const role = id.replace(/Role.*/, '');
      byRole.set(role, [
        ...(byRole.get(role) ?? []),
        ...(policy.Properties.PolicyDocument.Statement as Statement[]),
      ]);
    }
    const on = (st: Statement, table: string) => JSON.stringify(st.Resource).includes(table);
    const writes = (st: Statement, table: string) =>
      st.Effect === 'Allow' && on(st, table) && [st.Action].flat().includes('dynamodb:PutItem');
    const writers = [...byRole].filter(([, sts]) => sts.some((st) => writes(st, 'OperationsTable')));
    assert.ok(writers.length >= 9, 'the functions that write operations');
    for (const [role, statements] of writers) {
      const denied = statements.some(
        (st) =>
          st.Effect === 'Deny' &&
          on(st, 'OperationsTable') &&
          JSON.stringify(st.Condition) ===
            JSON.stringify({ 'ForAnyValue:StringEquals': { 'dynamodb:LeadingKeys': ['POLICY', 'AUDIT'] } }),
      );
      assert.equal(
        denied,
        role !== 'Control',
        `${role} ${role === 'Control' ? 'may' : 'may not'} write holds and retention`,
      );
    }
    const indexDeleters = [...byRole]
      .filter(([, sts]) =>
        sts.some(
          (st) =>
            st.Effect === 'Allow' &&
            on(st, 'IndexTable') &&
            [st.Action].flat().some((a) => a === 'dynamodb:DeleteItem' || a === 'dynamodb:BatchWriteItem'),
        ),
      )
      .map(([role]) => role);
    assert.deepEqual(
      indexDeleters.sort(),
      ['Indexer', 'Purger'],
      'the auditor writes quarantine records, deletes nothing',
    );
  });

  it('gives each configured mail server an identity that creates only its own objects, never replaces one, and reads nothing', () => {
    const identified = synth({ servers: ['mail1', 'mail2.example'] });
    assert.deepEqual(
      Object.keys(identified.findResources('AWS::IAM::ManagedPolicy')),
      [],
      'no policy shared by every host',
    );
    type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
    const roles = Object.entries(identified.findResources('AWS::IAM::Role')).filter(([id]) =>
      /^Agent(?!Control)/.test(id),
    );
    assert.equal(roles.length, 2);
    const policies = Object.entries(identified.findResources('AWS::IAM::Policy'));
    for (const [server, other] of [
      ['mail1', 'mail2.example'],
      ['mail2.example', 'mail1'],
    ] as const) {
      const [roleId] = roles.find(([, r]) => String(r.Properties.Description).includes(` ${server}:`)) ?? [];
      assert.ok(roleId, `a role for ${server}`);
      const statements = policies
        .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(roleId))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
      const s3 = statements.filter((st) => [st.Action].flat().some((a) => a.startsWith('s3:')));
      assert.deepEqual(
        [...new Set(s3.flatMap((st) => [st.Action].flat()))],
        ['s3:PutObject'],
        'creates, reads nothing',
      );
      // A put that creates an object carries If-None-Match; the parts of a multipart upload create nothing.
      for (const st of s3)
        assert.ok(
          [
            JSON.stringify({ Null: { 's3:if-none-match': 'false' } }),
            JSON.stringify({ Bool: { 's3:ObjectCreationOperation': 'false' } }),
          ].includes(JSON.stringify(st.Condition)),
          JSON.stringify(st.Condition),
        );
      const where = JSON.stringify(s3.map((st) => st.Resource));
      assert.match(where, new RegExp(`/servers/${server.replace('.', '\\.')}/\\*`));
      assert.doesNotMatch(where, /\/(blobs|packs)\//, 'nothing outside its own prefix');
      assert.doesNotMatch(where, new RegExp(`servers/${other.replace('.', '\\.')}/`));
      const lambda = statements.filter((st) => [st.Action].flat().some((a) => a.startsWith('lambda:')));
      assert.deepEqual(lambda.flatMap((st) => [st.Action].flat()).sort(), [
        'lambda:InvokeFunction',
        'lambda:InvokeFunctionUrl',
      ]);
    }
    // The indexer takes a server's announcements, and the agent API serves its dispatches, to its role alone.
    for (const fn of ['IndexerFunction', 'AgentControlFunction']) {
      const found = Object.entries(identified.findResources('AWS::Lambda::Function')).find(([id]) =>
        id.startsWith(fn),
      )?.[1];
      const ids = JSON.stringify(found?.Properties.Environment.Variables.OFFSITE_AGENT_ROLE_IDS);
      for (const server of ['mail1', 'mail2.example'])
        assert.ok(ids.includes(`\\"${server}\\":`), `${fn}: ${ids}`);
    }
    assert.ok(identified.findOutputs('AgentRoles'), 'the roles are an output');
  });

  it('gives people three roles that may call the control API, which knows them by role id, and read what their commands download', () => {
    type Statement = { Action: string | string[]; Resource: unknown };
    const roles = Object.entries(template.findResources('AWS::IAM::Role')).filter(([id]) =>
      id.startsWith('People'),
    );
    assert.deepEqual(roles.map(([id]) => id.replace(/People(\w+?)[0-9A-F]{8}$/, '$1')).sort(), [
      'Compliance',
      'HelpDesk',
      'Operator',
    ]);
    const policies = Object.entries(template.findResources('AWS::IAM::Policy'));
    const reads = (role: string) => {
      const [roleId] = roles.find(([id]) => id.startsWith(`People${role}`)) ?? [];
      const statements = policies
        .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(String(roleId)))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
      assert.deepEqual(
        statements.filter((st) => [st.Action].flat().some((a) => a.startsWith('lambda:'))).length,
        2,
        `${role} invokes the control URL (both actions)`,
      );
      assert.ok(!JSON.stringify(statements).includes('s3:PutObject'), `${role} writes nothing to the bucket`);
      return JSON.stringify(statements.filter((st) => [st.Action].flat().includes('s3:GetObject')));
    };
    assert.match(reads('HelpDesk'), /operations\/\*/);
    assert.doesNotMatch(reads('HelpDesk'), /exports\//);
    assert.doesNotMatch(reads('Compliance'), /blobs\//);
    const control = template.findResources('AWS::Lambda::Function')[fnId('Control')];
    const ids = JSON.stringify(control?.Properties.Environment.Variables.OFFSITE_PERSON_ROLE_IDS);
    for (const person of ['operator', 'help-desk', 'compliance'])
      assert.ok(ids.includes(`\\"${person}\\":`), ids);
  });
});
