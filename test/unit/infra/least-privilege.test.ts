import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Template } from 'aws-cdk-lib/assertions';
import { createApp } from '#infra/create-app.ts';
import { arnOf, type Call, isAllowed, statementsOf } from '#test/support/policy-evaluator.ts';

// The synthesized policies, evaluated against a table of calls per principal (no backend here enforces IAM):
// what one mail host, a function or a person may and may not do.

const { stack } = createApp({
  outdir: mkdtempSync(path.join(tmpdir(), 'offsite-iam-')),
  context: { offsite: { servers: ['mail1', 'mail2'] }, 'aws:cdk:bundling-stacks': [] },
});
const template = Template.fromStack(stack).toJSON() as Parameters<typeof statementsOf>[0];
const bucket = arnOf(template, 'BackupBucket');
const operations = arnOf(template, 'OperationsTable');
const ingest = arnOf(template, 'IngestQueue');
const once = { 's3:if-none-match': '*', 's3:ObjectCreationOperation': 'true' };
const object = (key: string) => `${bucket}/${key}`;

function check(principal: string, table: [boolean, Call][]): void {
  const statements = statementsOf(template, principal);
  for (const [allowed, call] of table)
    assert.equal(
      isAllowed(statements, call),
      allowed,
      `${principal} ${allowed ? 'may' : 'may not'} ${call.action} ${call.resource} ${JSON.stringify(call.context ?? {})}`,
    );
}

describe('least privilege, evaluated', () => {
  it("a mail host creates its own objects once, and cannot read, replace or write another server's", () => {
    check('Agentmail1', [
      [true, { action: 's3:PutObject', resource: object('servers/mail1/redo/7/0-512.a'), context: once }],
      [
        true,
        { action: 's3:PutObject', resource: object('servers/mail1/packs/20261206T000000Z.a'), context: once },
      ],
      // Bodies go into packs under its own prefix: the shared stores are the indexer's alone.
      [false, { action: 's3:PutObject', resource: object('blobs/ab/abc'), context: once }],
      [false, { action: 's3:PutObject', resource: object('packs/ab/abc'), context: once }],
      [
        false,
        {
          action: 's3:PutObject',
          resource: object('servers/mail1/redo/7/0-512.a'),
          context: { 's3:ObjectCreationOperation': 'true' },
        },
      ],
      // The parts of a multipart upload create nothing; its completion carries If-None-Match.
      [
        true,
        {
          action: 's3:PutObject',
          resource: object('servers/mail1/redo/7/0-512.a'),
          context: { 's3:ObjectCreationOperation': 'false' },
        },
      ],
      [false, { action: 's3:PutObject', resource: object('servers/mail2/redo/7/0-512.a'), context: once }],
      [false, { action: 's3:GetObject', resource: object('servers/mail1/redo/7/0-512.a') }],
      [false, { action: 's3:GetObject', resource: object('servers/mail2/ldap/x') }],
      [false, { action: 's3:GetObject', resource: object('blobs/ab/abc') }],
      [false, { action: 's3:ListBucket', resource: bucket }],
      [false, { action: 's3:DeleteObject', resource: object('servers/mail1/redo/7/0-512.a') }],
      [false, { action: 's3:PutObject', resource: object('operations/x/manifest.json'), context: once }],
      [true, { action: 'sqs:SendMessage', resource: ingest }],
    ]);
  });

  it('only the control function writes legal holds and the retention policy', () => {
    const policy = { 'dynamodb:LeadingKeys': ['POLICY'] };
    check('Control', [[true, { action: 'dynamodb:PutItem', resource: operations, context: policy }]]);
    for (const fn of [
      'Indexer',
      'Planner',
      'Worker',
      'Purger',
      'Scheduler',
      'Auditor',
      'Transfer',
      'DeadLetters',
    ])
      check(fn, [
        [false, { action: 'dynamodb:PutItem', resource: operations, context: policy }],
        [false, { action: 'dynamodb:DeleteItem', resource: operations, context: policy }],
        [
          true,
          {
            action: 'dynamodb:UpdateItem',
            resource: operations,
            context: { 'dynamodb:LeadingKeys': ['OP#1'] },
          },
        ],
      ]);
  });

  it('Object Lock: operation objects are locked briefly by those who write them; nobody else sets or bypasses a lock', () => {
    const retention = (key: string): Call => ({ action: 's3:PutObjectRetention', resource: object(key) });
    const bypass: Call = { action: 's3:BypassGovernanceRetention', resource: object('blobs/ab/abc') };
    for (const fn of ['Planner', 'Worker', 'Purger', 'Auditor', 'Transfer'])
      check(fn, [
        [true, retention('operations/1/plan.json')],
        [false, retention('blobs/ab/abc')],
        [false, retention('servers/mail1/redo/7/0-512.a')],
        [false, bypass],
      ]);
    for (const principal of ['Agentmail1', 'Indexer', 'Control', 'AgentControl', 'PeopleOperator'])
      check(principal, [
        [false, retention('operations/1/plan.json')],
        [false, retention('blobs/ab/abc')],
        [false, bypass],
      ]);
  });

  it('only the purger sets and clears S3 legal holds, on the objects of servers and blobs', () => {
    const hold = (key: string): Call => ({ action: 's3:PutObjectLegalHold', resource: object(key) });
    check('Purger', [
      [true, hold('blobs/ab/abc')],
      [true, hold('servers/mail1/redo/7/0-512.a')],
      [false, hold('operations/1/plan.json')],
      [false, hold('exports/1/manifest.json')],
    ]);
    for (const principal of ['Agentmail1', 'Indexer', 'Control', 'Planner', 'Worker', 'Auditor', 'Transfer'])
      check(principal, [[false, hold('blobs/ab/abc')]]);
  });

  it('people read what their commands download, and write nothing', () => {
    check('PeopleHelpDesk', [
      [true, { action: 's3:GetObject', resource: object('operations/1/manifest.json') }],
      [true, { action: 's3:GetObject', resource: object('blobs/ab/abc') }],
      [false, { action: 's3:GetObject', resource: object('exports/1/manifest.json') }],
      [false, { action: 's3:GetObject', resource: object('servers/mail1/ldap/x') }],
      [false, { action: 's3:PutObject', resource: object('operations/1/manifest.json') }],
    ]);
    check('PeopleCompliance', [
      [true, { action: 's3:GetObject', resource: object('exports/1/manifest.json') }],
      [false, { action: 's3:GetObject', resource: object('blobs/ab/abc') }],
    ]);
  });
});
