// fauxqs: the agent announces to a queue of the test's own, whose messages are then fed to the indexer's
// code in-process, so the test chooses the order, the duplicates and the crashes.
// Exactly-once effect under at-least-once delivery: a server indexed with crashes injected at every kind of
// write, its announcements shuffled and repeated, ends with an index identical to a clean run's; a corrupt
// segment is quarantined and holds later ones back; a missing segment is a visible gap until it arrives.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { IngestMessage, SegmentAnnouncement } from '#core/announcement.ts';
import { bodyBytes, inflate } from '#core/index/message-body.ts';
import { indexKeys } from '#core/index-keys.ts';
import { restoreParamsSchema } from '#core/restore/restore-request.ts';
import { seededRandom } from '#core/seeded-random.ts';
import { blobKey } from '#core/storage/body-keys.ts';
import { heldRefsOf } from '#core/storage/body-location.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';
import { setDynamodb } from '#functions/clients/dynamodb.ts';
import { setS3 } from '#functions/clients/s3.ts';
import type { FunctionConfig } from '#functions/config.ts';
import { handleIngest } from '#functions/index/handle-ingest.ts';
import { listRestorePoints } from '#functions/query/list-restore-points.ts';
import { resolveUncertain, uncertainAt } from '#functions/query/uncertain-marks.ts';
import { finalizeRestore } from '#functions/restore/finalize-restore.ts';
import { planRestore } from '#functions/restore/plan-restore.ts';
import { restoreChunk } from '#functions/restore/restore-chunk.ts';
import { packBodies, readBodies } from '#functions/storage/body-store.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { startTestCloud } from '#test/integration/harness.ts';
import { alteredSegment } from '#test/support/altered-segment.ts';
import { privateIndexerConfig, shipAndCollect } from '#test/support/collected-announcements.ts';
import { readIndexCursor, useLocalIndex } from '#test/support/index-checks.ts';
import { bodiesInPack } from '#test/support/packed-bodies.ts';
import { readEvents } from '#test/support/redo-fixtures.ts';
import { assertSameItems, referenceLines, sortKeys } from '#test/support/same-items.ts';
import { simulatedTransactions } from '#test/support/simulated-transactions.ts';

const FAR = Number.MAX_SAFE_INTEGER;

describe('indexing is exactly-once in effect', () => {
  let cloud: LocalCloud;
  let client: DynamoDBDocumentClient;
  let config: FunctionConfig<'indexer'>;
  let announcements: IngestMessage[] = [];
  const work = mkdtempSync(join(tmpdir(), 'offsite-idem-'));

  before(async () => {
    cloud = await startTestCloud();
    client = useLocalIndex(cloud);
    setS3(cloud.clients.s3);
    config = await privateIndexerConfig(cloud, 'test-announcements');
    const sim = new MailHostSimulator({
      hostDir: join(work, 'host'),
      seed: 17,
      accounts: 5,
      rolloverBytes: 64 * 1024,
      tickMaxMs: 30_000,
    });
    sim.run(600);
    sim.close();
    announcements = await shipAndCollect(cloud, config, {
      serverId: 'srv-a',
      hostDir: sim.hostDir,
      stateDir: join(work, 'state'),
      segmentMiB: 12 / 1024,
    });
    assert.ok(announcements.filter((a) => a.type === 'redo-segment').length > 20, 'many segments');
    for (const message of announcements) await handleIngest(message, config, FAR);
  });
  after(async () => {
    setDynamodb(undefined);
    setS3(undefined);
    await cloud?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  /** Every index item that belongs to `serverId`, with the id replaced, sorted: comparable across servers. */
  async function indexOf(serverId: string): Promise<string[]> {
    const items: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await client.send(
        new ScanCommand({ TableName: config.indexTable, ExclusiveStartKey: start }),
      );
      for (const found of page.Items ?? []) {
        // A reference counts by its key, whether an item of its own or held by the body's location (the
        // first server to store a body holds its references there; another that finds it stored cannot).
        const refs = referenceLines(found);
        if (refs !== undefined) {
          for (const line of refs)
            if (line.includes(`#${serverId}#`)) items.push(line.replaceAll(serverId, 'SERVER'));
          continue;
        }
        // When an incoming body's reference was written (and so when it expires) is the indexer's clock.
        const { incomingAt: _at, expiresAt: _expires, ...item } = found;
        const text = JSON.stringify(item, Object.keys(item).sort());
        // Servers other than srv-a index srv-a's objects: object keys keep naming srv-a.
        if (text.includes(`#${serverId}`))
          items.push(
            JSON.stringify(sortKeys(item)).replaceAll(serverId, 'SERVER').replaceAll('srv-a/', 'SERVER/'),
          );
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return items.sort();
  }

  const as = (serverId: string, m: IngestMessage): IngestMessage => ({ ...m, serverId });

  /** Feeds each message to the indexer, again after each injected crash, as a redelivery would. */
  async function ingestThroughCrashes(messages: readonly IngestMessage[]): Promise<void> {
    for (const message of messages)
      for (let attempt = 0; ; attempt++) {
        assert.ok(attempt < 100, 'a message keeps failing');
        try {
          await handleIngest(message, config, FAR);
          break;
        } catch (error) {
          if (!/injected crash/.test((error as Error).message)) throw error;
        }
      }
  }

  it('a clean run indexes every segment', async () => {
    const cursor = await readIndexCursor(cloud, 'srv-a');
    assert.equal(cursor?.state, 'ok');
    const segments = announcements.filter((a) => a.type === 'redo-segment') as SegmentAnnouncement[];
    assert.equal(cursor?.segments, segments.length);
    assert.equal(cursor?.offset, segments.at(-1)?.lastOffset);
  });

  it("keeps a shared delivery's body for later segments only while a mailbox it names has not linked it", async () => {
    // The clean run: a full segment is cut after the big StoreIncomingBlob record, before its commit, so
    // most deliveries commit and link within one segment. A server cut after every record: none does.
    const split = new MailHostSimulator({ hostDir: join(work, 'split-host'), seed: 5, accounts: 5 });
    split.run(120);
    split.close();
    for (const message of await shipAndCollect(cloud, config, {
      serverId: 'srv-split',
      hostDir: split.hostDir,
      stateDir: join(work, 'split-state'),
      segmentMiB: 1 / 1024 / 1024,
    }))
      await handleIngest(message, config, FAR);
    const whole = await incomingOf('srv-a', join(work, 'host'));
    assert.ok(whole.linked > whole.stored, 'shared deliveries to several mailboxes');
    assert.ok(whole.kept < whole.stored, 'a body every named mailbox linked within its segment is not kept');
    const cut = await incomingOf('srv-split', split.hostDir);
    assert.ok(cut.stored > 0 && cut.kept === cut.stored, 'a body whose links come in later segments is kept');
  });

  /**
   * The incoming bodies a server's index keeps for later segments (each checked to have its reference), and
   * every message that linked one checked to refer to its body, which is located.
   */
  async function incomingOf(serverId: string, hostDir: string) {
    const ops = (await simulatedTransactions(hostDir)).flatMap(({ txn }) => txn.ops);
    const shaOf = new Map<string, string>();
    for (const record of ops) {
      const { data } = record;
      if (data.op === 'StoreIncomingBlob' && data.path !== null)
        shaOf.set(data.path, sha256Hex(inflate(bodyBytes(data.body, record), data.size, record)));
    }
    const { Items: kept = [] } = await client.send(
      new QueryCommand({
        TableName: config.indexTable,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :inc)',
        ExpressionAttributeValues: { ':pk': indexKeys.server(serverId), ':inc': 'INC#' },
      }),
    );
    const get = async (pk: string, sk: string) =>
      (await client.send(new GetCommand({ TableName: config.indexTable, Key: { pk, sk } }))).Item;
    for (const item of kept) {
      const ref = await get(indexKeys.blob(item.sha256), indexKeys.incomingRef(serverId, item.path));
      assert.ok(ref?.incomingAt, `the kept body ${item.path} has its incoming reference`);
    }
    let linked = 0;
    for (const { data, header } of ops) {
      if (data.op !== 'CreateMessage' || data.body.type !== 'link' || data.path === null) continue;
      const sha256 = shaOf.get(data.path);
      assert.ok(sha256, `message ${data.msgId} links a stored body`);
      const where = `message ${data.msgId} of mailbox ${header.mailboxId} on ${serverId}`;
      // A reference is an item of its own, or held by the location of the body it first stored.
      const ref = indexKeys.blobRef(serverId, header.mailboxId, data.msgId);
      const location = await get(indexKeys.blob(sha256), indexKeys.location);
      assert.ok(location, `${where}: its body is located`);
      assert.ok(
        (await get(indexKeys.blob(sha256), ref)) || heldRefsOf(location).includes(ref),
        `${where} refers to its body`,
      );
      linked++;
    }
    return { stored: shaOf.size, kept: kept.length, linked };
  }

  it('crashes at any write, shuffled and repeated announcements: the same index as the clean run', async () => {
    const random = seededRandom(99);
    let crashes = 0;
    // A crash before or after any write reaches DynamoDB, as a timeout or a killed container would leave it.
    const faulty = new Proxy(client, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return async (command: { constructor: { name: string } }) => {
          const write = /Write|Update|Put|Delete/.test(command.constructor.name);
          if (write && random() < 0.04) {
            crashes++;
            throw new Error('injected crash before the write');
          }
          const out = await target.send(command as never);
          if (write && random() < 0.04) {
            crashes++;
            throw new Error('injected crash after the write');
          }
          return out;
        };
      },
    });
    setDynamodb(faulty);
    try {
      const order = announcements.map((m) => as('srv-b', m));
      // Redeliveries: a third of the messages twice; out of order: swap neighbours now and then.
      for (let i = order.length - 1; i > 0; i--)
        if (random() < 0.3) order.splice(i, 0, order[i] as IngestMessage);
      // (Not the first: a server's stream starts at the first segment the indexer sees; FIFO keeps it first.)
      for (let i = 1; i + 1 < order.length; i++)
        if (random() < 0.2)
          [order[i], order[i + 1]] = [order[i + 1] as IngestMessage, order[i] as IngestMessage];
      await ingestThroughCrashes([...order, { type: 'index-continue', serverId: 'srv-b' } as IngestMessage]);
    } finally {
      setDynamodb(client);
    }
    assert.ok(crashes > 20, `${crashes} crashes injected`);
    assert.equal((await readIndexCursor(cloud, 'srv-b'))?.reason, undefined);
    const [a, b] = [await indexOf('srv-a'), await indexOf('srv-b')];
    assert.ok(a.length > 500, `${a.length} index items`);
    assertSameItems(b, a);
  });

  it('a crash between the heads and the commit of every segment: the retry finds what the run deleted', async () => {
    // The heads of deleted entities go with the heads' writes, before the commit; the retry (a new call, as
    // a redelivery makes it) walks back from the versions the run listed, not from tombstones.
    let heads = 0;
    let crashes = 0;
    const crashed = new Set<string>();
    const faulty = new Proxy(client, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return async (command: { constructor: { name: string }; input: unknown }) => {
          const input = JSON.stringify(command.input);
          if (/"DeleteRequest":\{"Key":\{"pk":"[^"]*","sk":"H#/.test(input)) heads++;
          if (command.constructor.name === 'TransactWriteCommand' && input.includes('"CURSOR"')) {
            // Once per segment, the first time its commit comes (the cursor's offset names it).
            const at = `${/":seq":"?(\d+)/.exec(input)?.[1]}:${/":offset":"?(\d+)/.exec(input)?.[1]}`;
            if (!crashed.has(at)) {
              crashed.add(at);
              crashes++;
              throw new Error('injected crash before the commit');
            }
          }
          return target.send(command as never);
        };
      },
    });
    setDynamodb(faulty);
    try {
      await ingestThroughCrashes([
        ...announcements.map((m) => as('srv-x', m)),
        { type: 'index-continue', serverId: 'srv-x' } as IngestMessage,
      ]);
    } finally {
      setDynamodb(client);
    }
    assert.ok(crashes > 20, `${crashes} crashes injected`);
    assert.ok(heads > 0, 'some runs deleted heads before their commit');
    assert.equal((await readIndexCursor(cloud, 'srv-x'))?.reason, undefined);
    assertSameItems(await indexOf('srv-x'), await indexOf('srv-a'));
  });

  it('replaying every announcement again changes nothing', async () => {
    const before = await indexOf('srv-a');
    for (const message of announcements) await handleIngest(message, config, FAR);
    assertSameItems(await indexOf('srv-a'), before);
  });

  it("an object another host put under a body's digest is never where the body is read from", async () => {
    const bucket = config.backupBucket;
    const listed = await cloud.clients.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: 'packs/' }),
    );
    const pack = listed.Contents?.map((o) => o.Key).find((k): k is string => k !== undefined);
    assert.ok(pack, 'the redo stored bodies in packs');
    const sha256 = (await bodiesInPack(cloud, pack))[0] as string;
    const read = async () => {
      let out: Buffer | string = 'not delivered';
      await readBodies(
        { bucket, table: config.indexTable },
        [{ sha256, maxSize: 1 << 24 }],
        async (_, body) => {
          out = Buffer.isBuffer(body) ? body : body.detail;
        },
      );
      return out as Buffer | string;
    };
    const body = await read();
    assert.ok(Buffer.isBuffer(body) && sha256Hex(body) === sha256);
    // Another host's put under the body's digest: other bytes, metadata claiming the digest.
    await cloud.clients.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: blobKey(sha256),
        Body: 'not the message',
        Metadata: { sha256, codec: 'none' },
      }),
    );
    // The body arrives again (the same redo, as another server's): it is located already, and read from its pack.
    for (const message of announcements) await handleIngest(as('srv-p', message), config, FAR);
    assert.deepEqual(await read(), body, 'the body is read from its pack, whatever lies under its digest');
  });

  it('reads many bodies a share at a time: each delivered once, checked, the unlocated ones reported', async () => {
    const random = seededRandom(3);
    // More bodies than one share of lookups, in small packs, and two the index has no location of.
    const bodies = Array.from({ length: 700 }, (_, i) => {
      const content = Buffer.from(`body ${i} ${'x'.repeat(Math.floor(random() * 3000))}`);
      return { sha256: sha256Hex(content), content };
    });
    const bucket = config.backupBucket;
    await packBodies({ bucket, table: config.indexTable }, bodies, 64 * 1024);
    const absent = ['0'.repeat(64), 'f'.repeat(64)];
    const delivered = new Map<string, Buffer | string>();
    const stopped = await readBodies(
      { bucket, table: config.indexTable },
      [
        ...bodies.map((b) => ({ sha256: b.sha256, maxSize: 1 << 20 })),
        ...absent.map((sha256) => ({ sha256, maxSize: 10 })),
      ],
      async (sha256, body) => {
        assert.equal(delivered.has(sha256), false, `${sha256} delivered twice`);
        delivered.set(sha256, Buffer.isBuffer(body) ? body : body.reason);
      },
    );
    assert.equal(stopped, false);
    assert.equal(delivered.size, 702);
    for (const b of bodies) assert.deepEqual(delivered.get(b.sha256), b.content);
    for (const sha256 of absent) assert.equal(delivered.get(sha256), 'read-error');
  });

  it('a missing segment is a gap until it arrives; a corrupt one is quarantined and holds later ones', async () => {
    const segments = announcements.filter((a) => a.type === 'redo-segment') as SegmentAnnouncement[];
    const serverId = 'srv-c';
    // Segments before `hole` in order, then the one after it: a gap inside one redo file.
    const hole = segments.findIndex(
      (s, i) => i >= 3 && s.seq === segments[i - 1]?.seq && s.seq === segments[i + 1]?.seq,
    );
    assert.ok(hole > 0, 'a redo file of three segments or more');
    const at = announcements.indexOf(segments[hole] as SegmentAnnouncement);
    assert.equal(
      announcements[at + 1],
      segments[hole + 1],
      'nothing is announced between two segments of a file',
    );
    for (const m of announcements.slice(0, at)) await handleIngest(as(serverId, m), config, FAR);
    const gapped = await handleIngest(as(serverId, segments[hole + 1] as SegmentAnnouncement), config, FAR);
    assert.equal(gapped.outcome?.state, 'gap');
    let cursor = await readIndexCursor(cloud, serverId);
    assert.equal(cursor?.state, 'gap');
    assert.match(cursor?.reason ?? '', /missing/);
    assert.equal(cursor?.segments, hole);
    // The missing segment arrives, corrupted: same length, garbage over a record's start in the middle (so the
    // bytes there are no record at all; garbage inside a record's data would be that record not decoding,
    // which is skipped and reported instead), stored under a digest that matches.
    const missing = segments[hole] as SegmentAnnouncement;
    const corrupt = await alteredSegment(cloud, config, serverId, missing, async (plain) => {
      const first = Number(missing.firstOffset);
      const starts = (await readEvents(plain, { origin: first, from: first }))
        .filter((e) => e.kind === 'record')
        .map((e) => e.record.offset - first);
      // A record start past the first third, else the last one there is (a segment may hold one big record).
      const at = starts.find((offset) => offset >= plain.length / 3) ?? starts.at(-1);
      assert.ok(at !== undefined, 'a record starts in the segment');
      plain.fill(0x5a, at, Math.min(plain.length, at + 64));
    });
    const held = await handleIngest(corrupt, config, FAR);
    assert.equal(held.outcome?.state, 'quarantined');
    for (const m of announcements.slice(at + 2)) {
      const out = await handleIngest(as(serverId, m), config, FAR);
      if (out.outcome) assert.equal(out.outcome.state, 'quarantined', 'later segments wait');
    }
    cursor = await readIndexCursor(cloud, serverId);
    assert.equal(cursor?.state, 'quarantined');
    assert.equal(cursor?.segments, hole, 'nothing after the hole was applied');
    assert.match(cursor?.reason ?? '', /not redo records|digest/);
    const items = await indexOf(serverId);
    assert.ok(
      items.some(
        (i) => i.includes('"type":"quarantine"') && i.includes(corrupt.key.replaceAll(serverId, 'SERVER')),
      ),
    );
  });

  it('a record of an op code no release writes is skipped and counted, its mailbox uncertain, and indexing goes on', async () => {
    const serverId = 'srv-d';
    const segments = announcements.filter((a) => a.type === 'redo-segment') as SegmentAnnouncement[];
    const middle = segments.slice(segments.length / 2).find((s) => s.firstOffset !== '0');
    assert.ok(middle, 'a segment in the middle of a redo file');
    let victim: { offset: number; mailboxId: number; time: number } | undefined;
    const altered = await alteredSegment(cloud, config, serverId, middle, async (plain) => {
      const first = Number(middle.firstOffset);
      // The first data op of the segment becomes op code 200, as a newer release might write.
      const events = await readEvents(plain, { origin: first, from: first });
      const record = events.find(
        (e) => e.kind === 'record' && e.record.header.opCode > 4 && e.record.header.mailboxId > 0,
      );
      assert.ok(record?.kind === 'record', 'a data op in the segment');
      plain.writeInt32BE(200, record.record.offset - first + 10);
      victim = {
        offset: record.record.offset,
        mailboxId: record.record.header.mailboxId,
        time: record.record.header.timestamp,
      };
    });
    for (const m of announcements) {
      const out = await handleIngest(as(serverId, m === middle ? altered : m), config, FAR);
      assert.notEqual(out.outcome?.state, 'quarantined', 'indexing never holds');
    }
    const cursor = await readIndexCursor(cloud, serverId);
    assert.equal(cursor?.state, 'ok');
    assert.equal(cursor?.segments, segments.length, 'every segment indexed, the later ones too');
    const points = await listRestorePoints(config.indexTable, serverId);
    assert.deepEqual(points.undecoded.byOp, { 'Unknown(200)@1.42': 1 });
    const [record] = points.undecoded.records;
    assert.equal(record?.s3Key, altered.key);
    assert.equal(record?.offset, victim?.offset);
    assert.equal(record?.mailboxId, victim?.mailboxId);
    assert.match(record?.reason ?? '', /Unknown\(200\) is written by no release this reader knows/);
    assert.deepEqual(points.quarantined, []);

    // Queries of that mailbox say so from the record's time on, until a scan restates the mailbox.
    const { mailboxId, time } = victim as { mailboxId: number; time: number };
    assert.deepEqual(await uncertainAt(config.indexTable, serverId, mailboxId, time - 1), []);
    const [note] = await uncertainAt(config.indexTable, serverId, mailboxId, time);
    assert.equal(note?.op, 'Unknown(200)');
    assert.equal(note?.since, new Date(time).toISOString());
    assert.deepEqual(await uncertainAt(config.indexTable, serverId, mailboxId + 1000, time), []);
    // A restore to an instant after the record carries the note in the account's manifest and report.
    const operationId = randomUUID();
    const target = { indexTable: config.indexTable, backupBucket: cloud.outputs.BackupBucketName as string };
    const params = restoreParamsSchema.parse({
      mode: 'point-in-time',
      accounts: [`${serverId}:${mailboxId}`],
      at: new Date(time + 1).toISOString(),
    });
    const summary = await planRestore(target, operationId, params);
    for (let i = 0; i < summary.workItems; i++) await restoreChunk(target, operationId, i, async () => false);
    const { report } = await finalizeRestore(target.backupBucket, operationId);
    assert.deepEqual(
      report.accounts.map((a) => a.uncertain.map((u) => [u.op, u.offset, u.s3Key])),
      [[['Unknown(200)', victim?.offset, altered.key]]],
    );
    const scanPosition = `${String(BigInt(middle.seq) + 1n).padStart(20, '0')}:${'0'.padStart(20, '0')}#1`;
    await resolveUncertain(config.indexTable, serverId, mailboxId, scanPosition, time + 5000);
    assert.equal((await uncertainAt(config.indexTable, serverId, mailboxId, time + 4999)).length, 1);
    assert.deepEqual(await uncertainAt(config.indexTable, serverId, mailboxId, time + 5000), []);
    const [restated] = (await listRestorePoints(config.indexTable, serverId)).undecoded.records;
    assert.equal(restated?.restatedAt, scanPosition);
  });
});
