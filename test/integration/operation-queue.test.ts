// The operation queue as an operator meets it: `offsite ops` over the control API, operations that end
// as failed when part of them goes to a dead-letter queue, and a notice on the operations topic (SNS in the
// emulator, read through an SQS subscription as a subscriber would) for every operation that finishes.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Operation } from '#core/operation.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { eventually, startTestCloud } from '#test/integration/harness.ts';
import { offsite } from '#test/support/agent-cli.ts';

interface Notice {
  operationId: string;
  kind: string;
  state: string;
  error?: string;
}

describe('the operation queue: ops commands, dead letters, notices', () => {
  let cloud: LocalCloud;
  let noticeQueue: string;
  const notices: Notice[] = [];
  const env = () => ({ OFFSITE_CONTROL_URL: cloud.outputs.ControlUrl as string });
  async function ops(...args: string[]) {
    return offsite(['ops', ...args], env());
  }
  /** Notices read so far plus what arrived, until one for the operation is there. */
  async function noticeOf(operationId: string): Promise<Notice> {
    return eventually(
      async () => {
        const got = await cloud.clients.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: noticeQueue, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        for (const m of got.Messages ?? []) {
          const body = JSON.parse(m.Body ?? '{}') as Notice & { Message?: string };
          // Raw delivery gives the message itself; an envelope carries it in Message.
          notices.push(body.Message ? (JSON.parse(body.Message) as Notice) : body);
          await cloud.clients.sqs.send(
            new DeleteMessageCommand({ QueueUrl: noticeQueue, ReceiptHandle: m.ReceiptHandle }),
          );
        }
        return notices.find((n) => n.operationId === operationId);
      },
      60_000,
      `a notice of operation ${operationId}`,
    );
  }

  before(async () => {
    cloud = await startTestCloud();
    const created = await cloud.clients.sqs.send(new CreateQueueCommand({ QueueName: 'operation-notices' }));
    noticeQueue = created.QueueUrl as string;
    const attributes = await cloud.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: noticeQueue, AttributeNames: ['QueueArn'] }),
    );
    await cloud.clients.sns.send(
      new SubscribeCommand({
        TopicArn: cloud.outputs.OperationsTopicArn,
        Protocol: 'sqs',
        Endpoint: attributes.Attributes?.QueueArn,
        Attributes: { RawMessageDelivery: 'true' },
      }),
    );
  });
  after(async () => {
    await cloud?.stop();
  });

  it('starts an operation, waits for it, and its notice says it succeeded', async () => {
    const out = await ops('start', 'selftest', '--params', '{"items":4}', '--wait', '--json');
    assert.equal(out.code, 0, out.stderr);
    const op = JSON.parse(out.stdout) as Operation;
    assert.equal(op.state, 'succeeded');
    assert.equal(op.done, 4);
    const notice = await noticeOf(op.id);
    assert.deepEqual([notice.kind, notice.state], ['selftest', 'succeeded']);
    const shown = await ops('show', op.id);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`selftest ${op.id}: succeeded \\(4/4 work items\\)`));
  });

  it('a work item that fails on every try is set aside, and its operation ends as failed with a notice', async () => {
    const started = await ops('start', 'selftest', '--params', '{"items":3,"failItems":[1]}', '--json');
    assert.equal(started.code, 0, started.stderr);
    const { id } = JSON.parse(started.stdout) as Operation;
    const monitored = await ops('monitor', id, '--json');
    assert.equal(monitored.code, 1, 'monitor exits 1 when the operation did not succeed');
    const op = JSON.parse(monitored.stdout) as Operation;
    assert.equal(op.state, 'failed');
    assert.match(op.error ?? '', /work item 2 of 3 failed on every try/);
    assert.equal(op.done, 2, 'the other items ran');
    const notice = await noticeOf(id);
    assert.equal(notice.state, 'failed');
    assert.match(notice.error ?? '', /dead-letter/);
    const failed = await ops('list', '--state', 'failed', '--json');
    assert.ok(
      (JSON.parse(failed.stdout) as { operations: Operation[] }).operations.some((o) => o.id === id),
      'listed with the failed ones',
    );
  });

  it('stop-all stops every queued or running operation, and each stop is announced', async () => {
    // Smart scans for a server whose agent never claims them stay running until stopped.
    const ids: string[] = [];
    for (const server of ['quiet-a', 'quiet-b']) {
      const out = await ops(
        'start',
        'smartscan',
        '--params',
        JSON.stringify({ servers: [server] }),
        '--json',
      );
      assert.equal(out.code, 0, out.stderr);
      ids.push((JSON.parse(out.stdout) as Operation).id);
    }
    await eventually(
      async () => {
        const out = await ops('list', '--kind', 'smartscan', '--json');
        const listed = (JSON.parse(out.stdout) as { operations: Operation[] }).operations;
        return ids.every((id) => listed.some((o) => o.id === id && o.state === 'running')) ? true : undefined;
      },
      30_000,
      'both smart scans to be dispatched',
    );
    const out = await ops('stop-all', '--json');
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual((JSON.parse(out.stdout) as { stopped: string[] }).stopped.sort(), [...ids].sort());
    const left = await ops('list', '--json');
    assert.deepEqual((JSON.parse(left.stdout) as { operations: Operation[] }).operations, []);
    for (const id of ids) assert.equal((await noticeOf(id)).state, 'stopped');
  });

  // Bounded: without the expiry the new check would wait behind the lost one for ever.
  it('fails operations nothing touched for the stall limit; an exclusive kind no longer waits behind one', {
    timeout: 180_000,
  }, async () => {
    const db = DynamoDBDocumentClient.from(cloud.clients.dynamodb);
    const table = [...cloud.resources.tables.values()].find((t) => t.startsWith('OperationsTable')) as string;
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();
    /** An operation record as if a function or agent had stopped working on it `hours` ago. */
    const running = async (kind: string, hours: number) => {
      const id = randomUUID();
      const at = hoursAgo(hours);
      await db.send(
        new PutCommand({
          TableName: table,
          Item: {
            pk: `OP#${id}`,
            sk: 'OP',
            id,
            kind,
            state: 'running',
            source: 'api',
            params: {},
            createdAt: at,
            updatedAt: at,
            total: 1,
            done: 0,
            failed: 0,
          },
        }),
      );
      return id;
    };
    const show = async (id: string) => JSON.parse((await ops('show', id, '--json')).stdout) as Operation;
    const lost = await running('coherency', 25);
    const busy = await running('smartscan', 2);
    // A new coherency check would wait for the running one; that one is lost, so it is failed instead.
    const out = await ops('start', 'coherency', '--wait', '--json');
    assert.equal(out.code, 0, out.stderr);
    assert.equal((JSON.parse(out.stdout) as Operation).state, 'succeeded');
    const expired = await show(lost);
    assert.equal(expired.state, 'failed');
    assert.match(expired.error ?? '', /no progress for 24 h .*presumed lost/);
    assert.equal((await noticeOf(lost)).state, 'failed');
    // Every scheduled firing sweeps too; one touched recently is left alone.
    const lostRestore = await running('restore', 30);
    await cloud.schedules.fireNamed('Offsite-sweep');
    assert.equal((await show(lostRestore)).state, 'failed');
    assert.equal((await show(busy)).state, 'running');
    assert.equal((await ops('stop', busy)).code, 0);
  });

  it('refuses what does not apply, naming it', async () => {
    for (const [args, pattern] of [
      [['start', 'backup'], /unknown operation kind backup/],
      [['list', '--state', 'done'], /argument 'done' is invalid\. Allowed choices are queued, running/],
      [['stop', 'not-an-id'], /not an operation id/],
      [['show', '00000000-0000-4000-8000-000000000000', '--kind', 'restore'], /unknown option '--kind'/],
      [['start', 'selftest', '--params', '{"items":0}'], /400[\s\S]*items/],
    ] as const) {
      const out = await ops(...args);
      assert.notEqual(out.code, 0, args.join(' '));
      assert.match(out.stderr, pattern, args.join(' '));
    }
  });
});
