import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { ScheduledEvent, SQSEvent } from 'aws-lambda';
import type { SegmentAnnouncement } from '#core/announcement.ts';
import { indexKeys, operationKeys } from '#core/index-keys.ts';
import { runDemo } from '#local/demo.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { ManualClock } from '#local/runtime/clock.ts';
import { eventually, startTestCloud, testBackend } from '#test/integration/harness.ts';

const START = new Date('2026-11-22T10:00:00Z');

describe(`local cloud on ${testBackend()}`, () => {
  let cloud: LocalCloud;
  const clock = new ManualClock(START);
  before(async () => {
    cloud = await startTestCloud({ clock, schedules: true });
  });
  after(async () => {
    await cloud?.stop();
  });

  it('runs the demo path: agent → ingest → indexer → mailbox as of T, and a selftest operation through the fan-out', async () => {
    const { restorePoints, mailbox, operation } = await runDemo(cloud);
    assert.equal(restorePoints.redo.length, 1, 'one unbroken redo range');
    assert.equal(restorePoints.waiting.state, 'ok');
    assert.ok(mailbox.truthMessages > 0, 'the mailbox had mail at that instant');
    assert.equal(mailbox.indexedMessages, mailbox.truthMessages);
    assert.equal(operation.state, 'succeeded');
    assert.equal(operation.done, 5);
    assert.equal(operation.total, 5);
  });

  it('hands a failed record of a batch back alone, then moves it to the DLQ after maxReceiveCount', async () => {
    const indexer = cloud.functionNamed('Indexer');
    const seen: string[][] = [];
    const original = indexer.invoke.bind(indexer);
    indexer.invoke = (event: unknown) => {
      seen.push((event as SQSEvent).Records.map((r) => r.messageId));
      return original(event);
    };
    try {
      const bucket = cloud.outputs.BackupBucketName ?? '';
      const queueUrl = cloud.outputs.IngestQueueUrl ?? '';
      const servers = ['srv-a', 'srv-b', 'srv-c', 'srv-d'].map((s) => `${s}-${randomUUID().slice(0, 8)}`);
      const good = await Promise.all(servers.map((serverId) => uploadSegment(cloud, bucket, serverId)));
      // Announced before its object is stored (or never stored): it fails on every try.
      const missing = await uploadSegment(cloud, bucket, `broken-${randomUUID().slice(0, 8)}`, false);
      const bad = { ...entry(missing, 'bad'), MessageDeduplicationId: randomUUID() };
      const sent = await cloud.clients.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: [
            ...good.slice(0, 2).map((a, i) => entry(a, `g${i}`)),
            bad,
            ...good.slice(2).map((a, i) => entry(a, `g${i + 2}`)),
          ],
        }),
      );
      const badId = sent.Successful?.find((s) => s.Id === 'bad')?.MessageId;
      assert.ok(badId);

      const table = [...cloud.resources.tables.values()].find((t) => t.startsWith('IndexTable')) ?? '';
      const documents = DynamoDBDocumentClient.from(cloud.clients.dynamodb);
      for (const a of good) {
        const key = { pk: indexKeys.server(a.serverId), sk: indexKeys.segment(a.seq, a.firstOffset) };
        await eventually(
          async () => (await documents.send(new GetCommand({ TableName: table, Key: key }))).Item,
          30_000,
          `segment of ${a.serverId}`,
        );
      }

      const dlq = [...cloud.resources.queues.values()].find((q) =>
        q.logicalId.startsWith('IngestDeadLetterQueue'),
      );
      assert.ok(dlq);
      const dead = await eventually(
        async () => {
          const r = await cloud.clients.sqs.send(
            new ReceiveMessageCommand({ QueueUrl: dlq.url, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }),
          );
          return r.Messages?.length ? r.Messages : undefined;
        },
        90_000,
        'the bad record in the DLQ',
      );
      assert.equal(dead.length, 1);
      assert.equal(dead[0]?.Body, bad.MessageBody);

      const withBad = seen.filter((ids) => ids.includes(badId));
      assert.equal(
        withBad.length,
        5,
        `the bad record is delivered maxReceiveCount = 5 times (got ${withBad.length})`,
      );
      for (const ids of withBad.slice(1))
        assert.deepEqual(ids, [badId], 'a retried batch holds only the failed record');
      const goodDeliveries = seen.flat().filter((id) => id !== badId);
      assert.equal(
        goodDeliveries.length,
        new Set(goodDeliveries).size,
        'records that succeeded are never delivered again',
      );
    } finally {
      indexer.invoke = original;
    }
  });

  it("refuses at once, into the DLQ with the reason, an announcement of another server's object and a message that is none", async () => {
    const indexer = cloud.functionNamed('Indexer');
    const deliveries: string[] = [];
    const original = indexer.invoke.bind(indexer);
    indexer.invoke = (event: unknown) => {
      deliveries.push(...(event as SQSEvent).Records.map((r) => r.messageId));
      return original(event);
    };
    try {
      const bucket = cloud.outputs.BackupBucketName ?? '';
      const victim = `victim-${randomUUID().slice(0, 8)}`;
      const stored = await uploadSegment(cloud, bucket, victim);
      // A host that owns srv-mallory announces the victim's segment as its own.
      const forged = { ...stored, serverId: `mallory-${randomUUID().slice(0, 8)}` };
      const sent = await cloud.clients.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: cloud.outputs.IngestQueueUrl ?? '',
          Entries: [
            entry(forged, 'forged'),
            {
              Id: 'junk',
              MessageBody: '{"type":"redo-segment"',
              MessageGroupId: 'junk',
              MessageDeduplicationId: randomUUID(),
            },
          ],
        }),
      );
      const ids = new Map(sent.Successful?.map((s) => [s.Id, s.MessageId]));
      const dlq = [...cloud.resources.queues.values()].find((q) =>
        q.logicalId.startsWith('IngestDeadLetterQueue'),
      );
      assert.ok(dlq);
      const dead: { body: string; refusal: string }[] = [];
      await eventually(
        async () => {
          const r = await cloud.clients.sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: dlq.url,
              WaitTimeSeconds: 1,
              MaxNumberOfMessages: 10,
              MessageAttributeNames: ['All'],
            }),
          );
          for (const m of r.Messages ?? [])
            dead.push({ body: m.Body ?? '', refusal: m.MessageAttributes?.refusal?.StringValue ?? '' });
          const bodies = new Set(dead.map((d) => d.body));
          return bodies.has(JSON.stringify(forged)) && bodies.has('{"type":"redo-segment"')
            ? dead
            : undefined;
        },
        60_000,
        'both refused messages in the DLQ',
      );
      const byBody = new Map(dead.map((d) => [d.body, d.refusal]));
      assert.match(byBody.get(JSON.stringify(forged)) ?? '', /is not one of that server's objects/);
      assert.match(byBody.get('{"type":"redo-segment"') ?? '', /not an ingest message/);
      for (const id of ['forged', 'junk'])
        assert.equal(
          deliveries.filter((d) => d === ids.get(id)).length,
          1,
          `${id} is refused on its first delivery`,
        );
      const table = [...cloud.resources.tables.values()].find((t) => t.startsWith('IndexTable')) ?? '';
      const documents = DynamoDBDocumentClient.from(cloud.clients.dynamodb);
      const key = {
        pk: indexKeys.server(forged.serverId),
        sk: indexKeys.segment(forged.seq, forged.firstOffset),
      };
      const item = await documents.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }));
      assert.equal(item.Item, undefined, 'nothing is catalogued for the forger');
    } finally {
      indexer.invoke = original;
    }
  });

  it('fires a schedule with the real Scheduled Event shape, and the operation it creates is recorded', async () => {
    const scheduler = cloud.functionNamed('Scheduler');
    const events: ScheduledEvent[] = [];
    const original = scheduler.invoke.bind(scheduler);
    scheduler.invoke = (event: unknown) => {
      events.push(event as ScheduledEvent);
      return original(event);
    };
    try {
      const before = cloud.schedules.firings.length;
      clock.advanceTo(new Date('2026-11-22T10:30:00Z'));
      const firing = await eventually(
        async () => cloud.schedules.firings[before],
        30_000,
        'the sweep rule to fire',
      );
      assert.equal(firing.rule, 'Offsite-sweep');
      assert.equal(firing.ok, true, firing.error);
      assert.equal(cloud.schedules.firings.length, before + 1, 'only the rule that was due fired');
      const event = events[0];
      assert.ok(event);
      assert.equal(event['detail-type'], 'Scheduled Event');
      assert.equal(event.source, 'aws.events');
      assert.equal(event.time, '2026-11-22T10:30:00Z');
      assert.match(event.resources[0] ?? '', /^arn:aws:events:us-east-1:\d{12}:rule\/Offsite-sweep$/);
      assert.deepEqual(event.detail, {});
    } finally {
      scheduler.invoke = original;
    }
  });

  it('answers the control API only to signed requests, and rejects bad requests by name', async () => {
    const url = cloud.outputs.ControlUrl ?? '';
    for (const api of [url, cloud.outputs.AgentControlUrl ?? '']) {
      assert.notEqual(api, '');
      const unsigned = await fetch(new URL('/health', api));
      assert.equal(unsigned.status, 403, api);
    }
    const { ControlClient, ControlApiError } = await import('#agent/control-client.ts');
    const client = new ControlClient({
      url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    assert.deepEqual(await client.request('GET', '/health'), { ok: true });
    await assert.rejects(
      client.request('POST', '/operations', { kind: 'restore-everything' }),
      (e: unknown) => {
        return e instanceof ControlApiError && e.status === 400 && /kind/.test(e.message);
      },
    );
    await assert.rejects(
      client.request('GET', `/operations/${randomUUID()}`),
      (e: unknown) => e instanceof ControlApiError && e.status === 404,
    );
  });

  it('records scheduled operations of kinds not yet available as failed, with the reason', async () => {
    const documents = DynamoDBDocumentClient.from(cloud.clients.dynamodb);
    const table = [...cloud.resources.tables.values()].find((t) => t.startsWith('OperationsTable')) ?? '';
    const scheduler = cloud.functionNamed('Scheduler');
    // No rule of the stack starts one (a configuration could name a job of a later version): a rule of that name.
    const sweep = cloud.resources.rules.find((r) => r.name === 'Offsite-sweep');
    assert.ok(sweep);
    const rule = { arn: sweep.arn.replace(/Offsite-sweep$/, 'Offsite-reconcile') };
    const result = await scheduler.invoke({
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: '2026-11-22T04:00:00Z',
      region: 'us-east-1',
      resources: [rule.arn],
      detail: {},
    });
    const { operationId } = result.result as { operationId: string };
    const op = await eventually(
      async () => {
        const item = (
          await documents.send(
            new GetCommand({ TableName: table, Key: operationKeys.operation(operationId) }),
          )
        ).Item;
        return item?.state === 'failed' ? item : undefined;
      },
      30_000,
      'the reconcile operation to be rejected',
    );
    assert.equal(op.kind, 'reconcile');
    assert.equal(op.source, 'schedule');
    assert.match(String(op.error), /not available in this version/);
    const depth = await cloud.clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: [...cloud.resources.queues.values()].find((q) => q.logicalId.startsWith('PlanDeadLetter'))
          ?.url,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    assert.equal(depth.Attributes?.ApproximateNumberOfMessages, '0');
  });
});

async function uploadSegment(
  cloud: LocalCloud,
  bucket: string,
  serverId: string,
  store = true,
): Promise<SegmentAnnouncement> {
  const body = Buffer.from(`segment of ${serverId}`);
  const sha256 = createHash('sha256').update(body).digest('hex');
  const key = `servers/${serverId}/redo/7/512-${512 + body.length}.${sha256}`;
  if (store)
    await cloud.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, Metadata: { sha256, codec: 'none' } }),
    );
  return {
    type: 'redo-segment',
    serverId,
    seq: '7',
    firstOffset: '512',
    lastOffset: String(512 + body.length),
    key,
    sha256,
    size: body.length,
    storedSize: body.length,
    codec: 'none',
    shippedAt: new Date().toISOString(),
  };
}

function entry(a: SegmentAnnouncement, id: string) {
  return {
    Id: id,
    MessageBody: JSON.stringify(a),
    MessageGroupId: a.serverId,
    MessageDeduplicationId: `${a.serverId}-${a.seq}-${a.firstOffset}`,
  };
}
