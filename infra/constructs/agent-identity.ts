import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BUCKET } from '#core/storage/bucket-layout.ts';
import { serverPrefix } from '#core/storage/server-keys.ts';
import {
  acknowledgePrefixGrant,
  bucketStatements,
  bucketWriteOnceStatements,
  functionUrlInvokeStatements,
  queueSendStatements,
} from '#infra/constructs/permissions.ts';

/** What an agent ships to and calls. */
export interface AgentTargets {
  readonly bucket: s3.IBucket;
  readonly ingestQueue: sqs.IQueue;
  /** The agent API's function (called through its IAM-authenticated URL). */
  readonly agentApiArn: string;
}

/** Announce, report metrics, call the agent API: what every agent identity may do besides storing. */
function commonStatements(targets: AgentTargets): iam.PolicyStatement[] {
  return [
    ...queueSendStatements(targets.ingestQueue),
    new iam.PolicyStatement({
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringEquals: { 'cloudwatch:namespace': 'Offsite' } },
    }),
    ...functionUrlInvokeStatements(targets.agentApiArn),
  ];
}

const METRICS_REASON =
  'cloudwatch:PutMetricData supports no resource-level permissions; the statement is limited to the Offsite namespace by condition';

/**
 * The shared agent policy of a deployment that names no servers: any host it is attached to may write (and
 * read) every server's objects. Kept for single-server deployments and the local cloud; `servers` in the
 * stack configuration replaces it with one identity per server.
 */
export function sharedAgentPolicy(scope: Construct, targets: AgentTargets): iam.ManagedPolicy {
  const policy = new iam.ManagedPolicy(scope, 'AgentPolicy', {
    description:
      'offsite agent on the mail host: upload to servers/*, announce on the ingest queue, call the agent API',
  });
  policy.addStatements(
    ...bucketStatements(targets.bucket, BUCKET.servers, true),
    ...commonStatements(targets),
  );
  acknowledgePrefixGrant(policy, targets.bucket, BUCKET.servers);
  Validations.of(policy).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: METRICS_REASON });
  return policy;
}

/**
 * One mail server's identity: a role its agent assumes, which may create objects under that server's prefix
 * only (its scans' bodies too, in packs of its own: the indexer copies them into the shared store), each only
 * if it does not exist yet (If-None-Match: a write never replaces an object), and read nothing in the bucket. What it announces is accepted for that server only (the indexer knows its role id).
 */
export class AgentIdentity extends Construct {
  readonly role: iam.Role;

  constructor(
    scope: Construct,
    id: string,
    serverId: string,
    targets: AgentTargets,
    assumedBy: iam.IPrincipal,
  ) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      assumedBy,
      description: `offsite agent of mail server ${serverId}: creates its own objects, reads none`,
      maxSessionDuration: Duration.hours(12),
    });
    const prefix = serverPrefix(serverId);
    for (const statement of [
      ...bucketWriteOnceStatements(targets.bucket, prefix),
      ...commonStatements(targets),
    ])
      this.role.addToPolicy(statement);
    acknowledgePrefixGrant(this.role, targets.bucket, prefix);
    Validations.of(this.role).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: METRICS_REASON });
  }
}
