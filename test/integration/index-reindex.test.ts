// Both backends: the agent's announcements go to a queue of the test's own; the test feeds them to the indexer's
// code, and a reindex's messages too, in the order the FIFO group delivers them.
// The bucket is the source of truth: a server's index rebuilt from its redo segments, LDAP dumps and scan
// snapshots equals the one indexing built, after a reindex over it, after the whole table is lost, and an op
// one build does not model becomes restorable once a build that models it reindexes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { zstdCompressSync } from 'node:zlib';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { type DynamoDBDocumentClient, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  type IngestMessage,
  ingestMessageSchema,
  type ScanAnnouncement,
  type SegmentAnnouncement,
} from '#core/announcement.ts';
import { formatLdif } from '#core/ldap/ldif.ts';
import type { Operation } from '#core/operation.ts';
import { treatAsUnknown } from '#core/redo/op-effects.ts';
import { SCAN_FORMAT, type ScanHeader } from '#core/scan/scan-snapshot.ts';
import { serverKeys } from '#core/storage/server-keys.ts';
import { EXPORT_MAILBOX_FORMAT, formatSnapshotLines } from '#core/transfer/export-format.ts';
import { exportMailboxOf } from '#core/transfer/export-mailbox-of.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';
import { setDynamodb } from '#functions/clients/dynamodb.ts';
import { setS3 } from '#functions/clients/s3.ts';
import { setSns } from '#functions/clients/sns.ts';
import { setSqs } from '#functions/clients/sqs.ts';
import type { FunctionConfig } from '#functions/config.ts';
import { handleIngest } from '#functions/index/handle-ingest.ts';
import { getOperation, putOperation, startOperation } from '#functions/operations/operations-store.ts';
import { planReindex } from '#functions/operations/plan-reindex.ts';
import { listRestorePoints } from '#functions/query/list-restore-points.ts';
import { scopeAsOf } from '#functions/query/mailbox-as-of.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { startTestCloud } from '#test/integration/harness.ts';
import { privateIndexerConfig, shipAndCollect } from '#test/support/collected-announcements.ts';
import { deleteEveryItem, readIndexCursor, useLocalIndex } from '#test/support/index-checks.ts';
import { uploadLdapDump } from '#test/support/ldap-dumps.ts';
import { assertSameItems, referenceLines, sortKeys } from '#test/support/same-items.ts';

const FAR = Number.MAX_SAFE_INTEGER;
const serverId = 'srv-re';
/** What differs between two indexings of the same objects by nature: when things were shipped or done. */
const VOLATILE = ['shippedAt', 'finishedAt', 'incomingAt', 'expiresAt', 'reportedAt'];

describe('reindex: a server index rebuilt from the bucket', () => {
  let cloud: LocalCloud;
  let client: DynamoDBDocumentClient;
  let config: FunctionConfig<'indexer'>;
  let segments: SegmentAnnouncement[] = [];
  let original: string[] = [];
  let mailboxId = 0;
  const work = mkdtempSync(join(tmpdir(), 'offsite-reindex-'));

  before(async () => {
    cloud = await startTestCloud();
    client = useLocalIndex(cloud);
    setS3(cloud.clients.s3);
    config = await privateIndexerConfig(cloud, 'reindex-announcements');
    // The reindex's own messages go to the same private queue.
    setSqs(cloud.clients.sqs);
    setSns(cloud.clients.sns);
    const sim = new MailHostSimulator({
      hostDir: join(work, 'host'),
      seed: 23,
      accounts: 4,
      rolloverBytes: 96 * 1024,
      tickMaxMs: 30_000,
    });
    sim.run(400);
    for (const action of ['save-document', 'revise-document', 'create-appointment'] as const) sim.act(action);
    sim.run(100);
    const dumps = [
      await uploadLdapDump(
        cloud.clients.s3,
        config.backupBucket,
        serverId,
        sim.time(),
        formatLdif(sim.directoryAt(sim.time())),
      ),
    ];
    sim.close();
    const announcements = await shipAndCollect(cloud, config, {
      serverId,
      hostDir: sim.hostDir,
      stateDir: join(work, 'state'),
      segmentMiB: 16 / 1024,
    });
    segments = announcements.filter((a) => a.type === 'redo-segment') as SegmentAnnouncement[];
    assert.ok(new Set(segments.map((s) => s.seq)).size >= 3, 'several redo files');
    // A scan snapshot at a segment boundary in the middle, announced in its place (not late).
    const cut = segments[Math.floor(segments.length / 2)] as SegmentAnnouncement;
    for (const m of announcements) {
      assert.notEqual((await handleIngest(m, config, FAR)).outcome?.state, 'quarantined');
      if (m === cut) await announceScan(cut);
    }
    for (const dump of dumps)
      assert.equal((await handleIngest(dump, config, FAR)).directory?.state, 'indexed');
    original = await indexOf();
    assert.ok(original.some((i) => i.includes('"type":"scan"') && i.includes('"state":"applied"')));
  });
  after(async () => {
    treatAsUnknown([]);
    setDynamodb(undefined);
    setS3(undefined);
    setSqs(undefined);
    setSns(undefined);
    await cloud?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  /** A full scan snapshot of the first live mailbox at the end of `cut`, as the index holds it there. */
  async function announceScan(cut: SegmentAnnouncement): Promise<void> {
    const cursor = await readIndexCursor(cloud, serverId);
    assert.equal(cursor?.offset, cut.lastOffset);
    const time = Date.parse(cut.lastOpTime as string);
    const { items } = await client
      .send(
        new ScanCommand({
          TableName: config.indexTable,
          FilterExpression: 'pk = :pk AND begins_with(sk, :h)',
          ExpressionAttributeValues: { ':pk': `SRV#${serverId}`, ':h': 'H#MBX#' },
        }),
      )
      .then((o) => ({ items: o.Items ?? [] }));
    const mailbox = items.find((i) => i.st) as { m: number; st: { accountId: string } };
    mailboxId = mailbox.m;
    const { entities } = await scopeAsOf(config.indexTable, serverId, mailboxId, time);
    const takenAt = new Date(time + 1).toISOString();
    const { mailbox: body } = exportMailboxOf(
      {
        type: 'header',
        format: EXPORT_MAILBOX_FORMAT,
        serverId,
        mailboxId,
        accountId: mailbox.st.accountId,
        accountName: 'scanned@example.com',
        time: takenAt,
      },
      entities,
    );
    const header: ScanHeader = {
      type: 'header',
      format: SCAN_FORMAT,
      scanId: 'scan-mid',
      kind: 'full',
      serverId,
      mailboxId,
      accountId: mailbox.st.accountId,
      accountName: 'scanned@example.com',
      changeCheckpoint: 1,
      position: { seq: cut.seq, offset: cut.lastOffset },
      takenAt,
    };
    const plain = Buffer.from(formatSnapshotLines(header, body));
    const stored = zstdCompressSync(plain);
    const sha256 = sha256Hex(plain);
    const key = serverKeys.scan(serverId, mailbox.st.accountId, takenAt, sha256);
    await cloud.clients.s3.send(
      new PutObjectCommand({
        Bucket: config.backupBucket,
        Key: key,
        Body: stored,
        Metadata: { sha256, codec: 'zstd', size: String(plain.length) },
      }),
    );
    const message: ScanAnnouncement = {
      type: 'scan-snapshot',
      serverId,
      key,
      sha256,
      size: plain.length,
      storedSize: stored.length,
      codec: 'zstd',
      seq: cut.seq,
      offset: cut.lastOffset,
      scanId: header.scanId,
      scanKind: 'full',
      mailboxId,
      accountId: mailbox.st.accountId,
      items: body.messages.length + body.contacts.length + body.calendar.length + body.documents.length,
      takenAt,
      shippedAt: new Date().toISOString(),
    };
    await handleIngest(message, config, FAR);
  }

  /** Every index item of the server, volatile fields left out, sorted. */
  async function indexOf(): Promise<string[]> {
    const out: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await client.send(
        new ScanCommand({ TableName: config.indexTable, ExclusiveStartKey: start }),
      );
      for (const found of page.Items ?? []) {
        // References by key: a reindex after the table was lost finds locations without them.
        const refs = referenceLines(found);
        if (refs !== undefined) {
          out.push(...refs.filter((line) => line.includes(`#${serverId}#`)));
          continue;
        }
        const item: Record<string, unknown> = { ...found };
        for (const field of VOLATILE) delete item[field];
        // A segment without records is listed by when it was shipped, which the bucket does not keep.
        if (item.type === 'segment' && item.firstOpTime === undefined) delete item.gsi1sk;
        const text = JSON.stringify(sortKeys(item));
        if (text.includes(serverId)) out.push(text);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return out.sort();
  }

  /**
   * Runs a reindex the way the planner and the indexer do, feeding the ingest queue until it is empty; the
   * first message gets `firstDeadline` (a short invocation) and `meanwhile` runs after it.
   */
  async function reindex(
    params: { servers: string[]; fromSeq?: string },
    firstDeadline = FAR,
    meanwhile: () => Promise<void> = async () => undefined,
    deadlineOf: () => number = () => FAR,
    afterEach: (op: string) => Promise<void> = async () => undefined,
  ): Promise<Operation> {
    const ops = { operationsTable: config.operationsTable };
    const op = await putOperation(ops, { kind: 'reindex', params, source: 'api' });
    const shares = await planReindex(config, op);
    await startOperation(ops, op.id, shares);
    for (let fed = 0; fed < 10_000; fed++) {
      const got = await cloud.clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: config.ingestQueueUrl,
          MaxNumberOfMessages: 1,
          WaitTimeSeconds: 0,
        }),
      );
      const [m] = got.Messages ?? [];
      if (!m) break;
      const message: IngestMessage = ingestMessageSchema.parse(JSON.parse(m.Body as string));
      await handleIngest(message, config, fed === 0 ? firstDeadline : deadlineOf());
      await cloud.clients.sqs.send(
        new DeleteMessageCommand({ QueueUrl: config.ingestQueueUrl, ReceiptHandle: m.ReceiptHandle }),
      );
      if (fed === 0) await meanwhile();
      await afterEach(op.id);
    }
    return getOperation(ops, op.id);
  }

  const summaryOf = (op: Operation) =>
    ((op.result?.servers ?? {}) as Record<string, { summary: Record<string, unknown> }>)[serverId]?.summary ??
    {};

  it('reindexing over a complete index gives the same index', async () => {
    const op = await reindex({ servers: [serverId] });
    assert.equal(op.state, 'succeeded', op.error);
    const summary = summaryOf(op);
    process.stdout.write(
      `# reindex: ${JSON.stringify({ ...summary, ms: Date.parse(op.updatedAt) - Date.parse(op.createdAt) })}\n`,
    );
    assert.equal(summary.segments, segments.length);
    assert.equal(summary.scansApplied, 1);
    assert.equal(summary.ldapDumps, 1);
    assert.ok((summary.wiped as number) > 100, 'the old index was wiped first');
    assertSameItems(await indexOf(), original);
  });

  it('a wipe longer than one invocation goes on in rounds; what is announced meanwhile waits for it', async () => {
    const last = segments.at(-1) as SegmentAnnouncement;
    const op = await reindex({ servers: [serverId] }, Date.now(), async () => {
      const marker = await client.send(
        new ScanCommand({
          TableName: config.indexTable,
          FilterExpression: 'pk = :pk AND sk = :sk',
          ExpressionAttributeValues: { ':pk': `SRV#${serverId}`, ':sk': 'REINDEX' },
        }),
      );
      assert.equal(marker.Items?.[0]?.phase, 'wiping', 'the first invocation ran out of time wiping');
      // A redelivered announcement arrives in between: catalogued (already), not indexed on a half-wiped index.
      const out = await handleIngest(last, config, FAR);
      assert.equal(out.shipment, 'duplicate');
      assert.equal(out.outcome, undefined);
    });
    assert.equal(op.state, 'succeeded', op.error);
    assertSameItems(await indexOf(), original);
  });

  it('a reindex longer than an invocation goes on in continuations and keeps its operation alive meanwhile', async () => {
    const ops = { operationsTable: config.operationsTable };
    const seen: string[] = [];
    // Every invocation out of time from its start: the wipe goes a page per round, and indexing one LDAP dump
    // or one segment per continuation, whatever the machine's speed.
    const op = await reindex(
      { servers: [serverId] },
      0,
      async () => undefined,
      () => 0,
      async (id) => {
        const now = await getOperation(ops, id);
        if (now.state === 'running') seen.push(now.updatedAt);
      },
    );
    assert.equal(op.state, 'succeeded', op.error);
    assert.ok(
      new Set(seen).size >= 10,
      `the running operation was touched as indexing went on (${new Set(seen).size} updates seen)`,
    );
    assertSameItems(await indexOf(), original);
  });

  it('a lost table: every item deleted, the catalog comes back from the bucket and the index with it', async () => {
    await deleteEveryItem(client, config.indexTable);
    assert.deepEqual(await indexOf(), []);
    const op = await reindex({ servers: [serverId] });
    assert.equal(op.state, 'succeeded', op.error);
    const summary = summaryOf(op);
    assert.ok(
      (summary.catalogRecorded as number) >= segments.length + 2,
      'segments, seals, the dump and the scan',
    );
    assert.deepEqual(summary.unreadable, []);
    assertSameItems(await indexOf(), original);
  });

  it('an op one build does not model becomes restorable after a reindex by a build that models it', async () => {
    const documents = async () => {
      const live: number[] = [];
      for (const line of await indexOf())
        if (line.includes('"kind":"document"') && line.includes('"sk":"H#')) live.push(1);
      return live.length;
    };
    const before = await documents();
    assert.ok(before > 0, 'the workload saved documents');
    treatAsUnknown(['SaveDocument', 'AddDocumentRevision']);
    const older = await reindex({ servers: [serverId] });
    assert.equal(older.state, 'succeeded', older.error);
    const undecoded = summaryOf(older).undecoded as Record<string, number>;
    assert.ok(
      Object.keys(undecoded).some((k) => k.startsWith('SaveDocument@')),
      JSON.stringify(undecoded),
    );
    assert.ok((await documents()) < before, 'the older build lost documents');
    const points = await listRestorePoints(config.indexTable, serverId);
    assert.ok(
      points.undecoded.records.some((r) => r.op === 'SaveDocument'),
      'their mailboxes are uncertain',
    );

    treatAsUnknown([]);
    const newer = await reindex({ servers: [serverId] });
    assert.equal(newer.state, 'succeeded', newer.error);
    assert.deepEqual(summaryOf(newer).undecoded, {});
    assert.equal(await documents(), before);
    assert.deepEqual((await listRestorePoints(config.indexTable, serverId)).undecoded.records, []);
    assertSameItems(await indexOf(), original);
  });

  it('redo purged by retention: a full reindex says where to start, and --from starts there', async () => {
    const first = segments[0]?.seq as string;
    const second = segments.find((s) => s.seq !== first)?.seq as string;
    for (const s of segments.filter((x) => x.seq === first)) {
      await client.send(
        new UpdateCommand({
          TableName: config.indexTable,
          Key: {
            pk: `SRV#${serverId}`,
            sk: `SEG#${s.seq.padStart(20, '0')}#${s.firstOffset.padStart(20, '0')}`,
          },
          UpdateExpression: 'SET #state = :purged',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':purged': 'purged' },
        }),
      );
      await cloud.clients.s3.send(new DeleteObjectCommand({ Bucket: config.backupBucket, Key: s.key }));
    }
    const whole = await reindex({ servers: [serverId] });
    assert.equal(whole.state, 'failed');
    assert.match(whole.error ?? '', /--from/);
    const from = await reindex({ servers: [serverId], fromSeq: second });
    assert.equal(from.state, 'succeeded', from.error);
    assert.equal(summaryOf(from).segments, segments.filter((s) => s.seq !== first).length);
    const cursor = await readIndexCursor(cloud, serverId);
    assert.equal(cursor?.state, 'ok');
    assert.equal(cursor?.offset, segments.at(-1)?.lastOffset);
  });
});
