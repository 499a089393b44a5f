// moto only: moto can enforce IAM (its INITIAL_NO_AUTH_ACTION_COUNT, switched on here through its reset-auth
// API). The roles of the synthesized template (two mail servers) are created in moto with their policies as
// synthesized, assumed through STS, and used against a bucket laid out like the backup bucket: a mail host's
// role is refused every read, list and delete; the auditor's role, which may read, reads, so the refusals are
// the policy's and not a blanket one. moto 5 evaluates no policy condition (a statement with one never
// allows) and checks SQS against the resource `*`: the write-once put and the announcement for another
// server are evaluated against the same policies in test/unit/infra/least-privilege.test.ts.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Template } from 'aws-cdk-lib/assertions';
import { createApp } from '#infra/create-app.ts';
import type { RunningEmulator } from '#local/emulators/child-emulator.ts';
import { startMoto } from '#local/emulators/moto.ts';
import { freePort } from '#local/emulators/ports.ts';
import { LOCAL_AWS_ENV } from '#test/support/agent-cli.ts';
import { policyDocumentOf, type statementsOf } from '#test/support/policy-evaluator.ts';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const BUCKET = 'offsite-iam-backup';
const OBJECTS = [
  'servers/mail1/redo/7/0-512.aa',
  'servers/mail2/redo/7/0-512.bb',
  'servers/mail2/ldap/20261205T000000Z.cc',
  `blobs/ab/${'ab'.repeat(32)}`,
  `packs/cd/${'cd'.repeat(32)}`,
];

describe('IAM enforced (moto): what one mail host may not do to the bucket', () => {
  let moto: RunningEmulator;
  let endpoint: string;
  const admin = { accessKeyId: 'local', secretAccessKey: 'local' };
  const client = <T>(Client: new (config: object) => T, credentials: object = admin): T =>
    new Client({ endpoint, region: REGION, credentials, forcePathStyle: true });
  const roles = new Map<string, S3Client>();

  async function enforce(on: boolean): Promise<void> {
    const response = await fetch(`${endpoint}/moto-api/reset-auth`, {
      method: 'POST',
      body: on ? '0' : 'inf',
    });
    assert.equal(response.status, 200);
  }
  /** Creates the role in moto with its synthesized policies, and an S3 client with credentials assumed from it. */
  /** The AWS CLI against moto (IAM and STS: the project's SDK has no clients of theirs). */
  async function aws(...args: string[]): Promise<Record<string, unknown>> {
    const { stdout } = await promisify(execFile)(
      'aws',
      [...args, '--endpoint-url', endpoint, '--output', 'json'],
      {
        env: LOCAL_AWS_ENV,
      },
    );
    return stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : {};
  }
  async function assume(template: Parameters<typeof statementsOf>[0], rolePrefix: string): Promise<S3Client> {
    const roleName = `offsite-${rolePrefix}`;
    const trust = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' },
      ],
    };
    await aws(
      'iam',
      'create-role',
      '--role-name',
      roleName,
      '--assume-role-policy-document',
      JSON.stringify(trust),
    );
    const document = policyDocumentOf(template, rolePrefix, {
      BackupBucket: `arn:aws:s3:::${BUCKET}`,
      DataKey: `arn:aws:kms:${REGION}:${ACCOUNT}:key/offsite`,
      IngestQueue: `arn:aws:sqs:${REGION}:${ACCOUNT}:offsite-ingest.fifo`,
      AgentControl: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:offsite-agent-control`,
      OperationsTable: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/offsite-operations`,
      IndexTable: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/offsite-index`,
      OperationsTopic: `arn:aws:sns:${REGION}:${ACCOUNT}:offsite-operations`,
      AuditQueue: `arn:aws:sqs:${REGION}:${ACCOUNT}:offsite-audit`,
      AuditorLogs: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:offsite-auditor`,
    });
    await aws(
      'iam',
      'put-role-policy',
      '--role-name',
      roleName,
      '--policy-name',
      'synthesized',
      '--policy-document',
      JSON.stringify(document),
    );
    const { Credentials } = (await aws(
      'sts',
      'assume-role',
      '--role-arn',
      `arn:aws:iam::${ACCOUNT}:role/${roleName}`,
      '--role-session-name',
      rolePrefix,
    )) as { Credentials?: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string } };
    assert.ok(Credentials?.AccessKeyId && Credentials.SecretAccessKey && Credentials.SessionToken);
    return client(S3Client, {
      accessKeyId: Credentials.AccessKeyId,
      secretAccessKey: Credentials.SecretAccessKey,
      sessionToken: Credentials.SessionToken,
    });
  }
  /** The error name S3 answers the call with, or `allowed`. */
  async function outcome(call: () => Promise<unknown>): Promise<string> {
    try {
      await call();
      return 'allowed';
    } catch (error) {
      return (error as Error).name;
    }
  }

  before(async () => {
    moto = await startMoto(await freePort());
    endpoint = moto.endpoint;
    const s3 = client(S3Client);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    for (const key of OBJECTS) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }));
    const { stack } = createApp({
      outdir: mkdtempSync(path.join(tmpdir(), 'offsite-iam-moto-')),
      context: { offsite: { servers: ['mail1', 'mail2'] }, 'aws:cdk:bundling-stacks': [] },
    });
    const template = Template.fromStack(stack).toJSON() as Parameters<typeof statementsOf>[0];
    for (const role of ['Auditor', 'Agentmail1']) roles.set(role, await assume(template, role));
    await enforce(true);
  });
  after(async () => {
    if (moto) await enforce(false).catch(() => undefined);
    await moto?.stop();
  });

  it("refuses a mail host every read, list and delete, of its own objects and of another server's", async () => {
    const host = roles.get('Agentmail1') as S3Client;
    for (const key of OBJECTS) {
      assert.equal(
        await outcome(() => host.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))),
        'AccessDenied',
        `read ${key}`,
      );
      assert.equal(
        await outcome(() => host.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }))),
        'AccessDenied',
        `delete ${key}`,
      );
    }
    // The shared body stores are the indexer's: a host writes its scans' bodies under its own prefix only.
    for (const key of [`blobs/ef/${'ef'.repeat(32)}`, `packs/ef/${'ef'.repeat(32)}`])
      assert.equal(
        await outcome(() =>
          host.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x', IfNoneMatch: '*' })),
        ),
        'AccessDenied',
        `put ${key}`,
      );
    // Without a query string: under enforcement moto computes the signature of a query wrongly.
    assert.equal(await outcome(() => host.send(new ListObjectsCommand({ Bucket: BUCKET }))), 'AccessDenied');
  });

  it('lets the auditor read what its policy names, and nothing else: the refusals are the policy', async () => {
    const auditor = roles.get('Auditor') as S3Client;
    for (const key of OBJECTS) {
      const got = await auditor.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      assert.equal(await got.Body?.transformToString(), key);
    }
    assert.equal(
      await outcome(() =>
        auditor.send(
          new PutObjectCommand({ Bucket: BUCKET, Key: 'servers/mail1/redo/7/0-512.aa', Body: 'x' }),
        ),
      ),
      'AccessDenied',
    );
  });
});
