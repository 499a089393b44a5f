// moto only: the bucket must be versioned (as the stack makes it) for a deleted blob to be put back.
// The purge's blob sweep against an indexer that refers to a blob again while it is being deleted (a
// redelivered message), for bodies stored alone and for packed bodies, and the repack that frees packs: the interleavings are forced by hooking the S3 client the sweep uses, so each
// race happens every run, against real S3 semantics and the real index table.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { INCOMING_REF_HOURS, indexKeys } from '#core/index-keys.ts';
import { blobKey } from '#core/storage/body-keys.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';
import { setDynamodb } from '#functions/clients/dynamodb.ts';
import { setS3 } from '#functions/clients/s3.ts';
import { incomingRefItem } from '#functions/index/load-entities.ts';
import { rewriteLostBodies } from '#functions/index/store-bodies.ts';
import { putJson } from '#functions/restore/operation-objects.ts';
import { candidatesPrefix } from '#functions/retention/purge-mailbox.ts';
import { DEFAULT_REPACK, repackPacks } from '#functions/retention/repack-packs.ts';
import { sweepBlobs } from '#functions/retention/sweep-blobs.ts';
import { locateBodies, packBodies, readBodies } from '#functions/storage/body-store.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { startTestCloud } from '#test/integration/harness.ts';
import { indexTable, useLocalIndex } from '#test/support/index-checks.ts';

type Body = { sha256: string; content: Buffer };

describe('purge sweep racing the indexer', () => {
  let cloud: LocalCloud;
  let bucket: string;
  let table: string;
  let index: DynamoDBDocumentClient;
  let n = 0;
  const serverId = 'srv-race';

  /** A stored blob whose last reference a purge removed: a candidate of operation `op`. */
  async function candidate(op: string): Promise<{ sha256: string; body: Buffer }> {
    const body = Buffer.from(`Subject: race ${++n}\r\n\r\nbody ${n}\r\n`);
    const sha256 = sha256Hex(body);
    await cloud.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: blobKey(sha256), Body: body, Metadata: { sha256 } }),
    );
    await putJson(bucket, `${candidatesPrefix(op)}000000-test.json`, [
      { sha256, ref: indexKeys.blobRef(serverId, 1, n) },
    ]);
    return { sha256, body };
  }
  async function stored(sha256: string): Promise<Buffer | undefined> {
    try {
      const got = await cloud.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: blobKey(sha256) }));
      return Buffer.from(
        await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      );
    } catch {
      return undefined;
    }
  }
  /** A body packed by the indexer whose last reference a purge removed: a candidate of operation `op`. */
  async function packedCandidate(op: string): Promise<{ sha256: string; body: Buffer }> {
    const body = Buffer.from(`Subject: packed ${++n}\r\n\r\nbody ${n}\r\n`);
    const sha256 = sha256Hex(body);
    await packBodies({ table, bucket }, [{ sha256, content: body }]);
    await putJson(bucket, `${candidatesPrefix(op)}000000-test.json`, [
      { sha256, ref: indexKeys.blobRef(serverId, 1, n) },
    ]);
    return { sha256, body };
  }
  /** The body as a restore reads it, or the reason it cannot. */
  async function readBack(sha256: string): Promise<Buffer | string> {
    let out: Buffer | string = 'not delivered';
    await readBodies({ table, bucket }, [{ sha256, maxSize: 1024 * 1024 }], async (_, body) => {
      out = Buffer.isBuffer(body) ? body : body.detail;
    });
    return out;
  }
  /** The index client the sweep uses, running `hook` just after it deletes an item. */
  function hookIndexDelete(hook: () => Promise<void>): void {
    setDynamodb({
      send: async (command: unknown) => {
        const out = await index.send(command as never);
        if (command instanceof DeleteCommand) await hook();
        return out;
      },
    } as unknown as DynamoDBDocumentClient);
  }
  /** The S3 client the sweep uses, running `hook` just before it deletes a blob. */
  function hookDelete(hook: () => Promise<void>): void {
    const real = cloud.clients.s3;
    setS3({
      send: async (command: unknown) => {
        if (command instanceof DeleteObjectCommand) await hook();
        return real.send(command as never);
      },
    } as unknown as S3Client);
  }

  before(async () => {
    // The sweep's races, not Object Lock (bucket-controls covers it): every blob would be locked 30 days.
    cloud = await startTestCloud({ context: { offsite: { objectLock: false } } });
    bucket = cloud.outputs.BackupBucketName as string;
    table = indexTable(cloud);
    index = useLocalIndex(cloud);
    setS3(cloud.clients.s3);
  });
  after(async () => {
    setS3(undefined);
    await cloud?.stop();
  });

  it('deletes a blob nothing refers to any more, and marks it', async () => {
    setS3(cloud.clients.s3);
    const { sha256 } = await candidate('00000000-0000-4000-8000-000000000001');
    const report = await sweepBlobs(
      { indexTable: table, backupBucket: bucket },
      '00000000-0000-4000-8000-000000000001',
      false,
    );
    assert.equal(report.blobsDeleted, 1);
    assert.equal(await stored(sha256), undefined);
    await assert.rejects(
      cloud.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: blobKey(sha256) })),
    );
    const marker = await useLocalIndex(cloud).send(
      new GetCommand({ TableName: table, Key: { pk: indexKeys.blob(sha256), sk: indexKeys.purged } }),
    );
    assert.ok(marker.Item, 'the purge marked the blob');
  });

  it('keeps a body stored as incoming and not linked yet, until its incoming reference is a day old', async () => {
    setS3(cloud.clients.s3);
    const incoming = async (op: string, age: number) => {
      const { sha256, body } = await candidate(op);
      // As the indexer writes it for a StoreIncomingBlob whose CreateMessage is in a later segment.
      await useLocalIndex(cloud).send(
        new PutCommand({
          TableName: table,
          Item: incomingRefItem(
            serverId,
            { path: `/opt/zimbra/data/mailboxd/incoming/${n}-1.msg`, sha256, size: body.length },
            Date.now() - age,
          ),
        }),
      );
      return { sha256, report: await sweepBlobs({ indexTable: table, backupBucket: bucket }, op, false) };
    };
    const fresh = await incoming('00000000-0000-4000-8000-000000000004', 60_000);
    assert.equal(fresh.report.blobsKept, 1);
    assert.ok(await stored(fresh.sha256), 'the incoming body stays');
    const stale = await incoming(
      '00000000-0000-4000-8000-000000000005',
      (INCOMING_REF_HOURS + 1) * 3_600_000,
    );
    assert.equal(stale.report.blobsDeleted, 1, 'a body never linked within a day is not held for ever');
    assert.equal(await stored(stale.sha256), undefined);
  });

  it('puts a blob back when a reference appears between its checks and its delete', async () => {
    const op = '00000000-0000-4000-8000-000000000002';
    const { sha256, body } = await candidate(op);
    hookDelete(async () => {
      await useLocalIndex(cloud).send(
        new PutCommand({
          TableName: table,
          Item: { pk: indexKeys.blob(sha256), sk: indexKeys.blobRef(serverId, 2, 9), size: body.length },
        }),
      );
    });
    const report = await sweepBlobs({ indexTable: table, backupBucket: bucket }, op, false);
    setS3(cloud.clients.s3);
    assert.equal(report.blobsRestored, 1);
    assert.equal(report.blobsDeleted, 0);
    assert.deepEqual(await stored(sha256), body, 'the body is back, byte for byte');
  });

  it('a packed body: its location goes, a reference that appears meanwhile puts it back', async () => {
    setS3(cloud.clients.s3);
    const op = '00000000-0000-4000-8000-000000000006';
    const { sha256, body } = await packedCandidate(op);
    // The reference appears just after the sweep dropped the location (its second look sees it).
    hookIndexDelete(async () => {
      await index.send(
        new PutCommand({
          TableName: table,
          Item: { pk: indexKeys.blob(sha256), sk: indexKeys.blobRef(serverId, 3, 9), size: body.length },
        }),
      );
    });
    const report = await sweepBlobs({ indexTable: table, backupBucket: bucket }, op, false);
    setDynamodb(index);
    assert.equal(report.blobsRestored, 1);
    assert.deepEqual(await readBack(sha256), body, 'located again, and it reads');
  });

  it("references held by a body's location keep it unless the purge removed them, and are let go when others keep it", async () => {
    setS3(cloud.clients.s3);
    const op = '00000000-0000-4000-8000-000000000008';
    const ref = (item: number) => indexKeys.blobRef(serverId, 5, item);
    const [alone, held, shared, partly] = [1, 2, 3, 4].map((i) => {
      const content = Buffer.from(`Subject: held ${i}\r\n\r\nbody ${i}\r\n`);
      return { sha256: sha256Hex(content), content };
    }) as [Body, Body, Body, Body];
    // Each body's location holds the references of the items it was stored for.
    await packBodies(
      { table, bucket },
      [alone, held, shared, partly],
      undefined,
      new Map([
        [alone.sha256, [ref(1)]],
        [held.sha256, [ref(2)]],
        [shared.sha256, [ref(3), ref(5)]],
        [partly.sha256, [ref(6), ref(7)]],
      ]),
    );
    // The purge removed: the first body's reference, another item's (21) to the second body, both held
    // references of the third (a further item, 4, refers to it by an item of its own), one of the fourth's.
    await putJson(bucket, `${candidatesPrefix(op)}000000-test.json`, [
      { sha256: alone.sha256, ref: ref(1) },
      { sha256: held.sha256, ref: ref(21) },
      { sha256: shared.sha256, ref: ref(3) },
      { sha256: shared.sha256, ref: ref(5) },
      { sha256: partly.sha256, ref: ref(6) },
    ]);
    await index.send(
      new PutCommand({ TableName: table, Item: { pk: indexKeys.blob(shared.sha256), sk: ref(4), size: 1 } }),
    );
    const where = async (b: Body) => (await locateBodies(table, [b.sha256])).get(b.sha256);
    const dry = await sweepBlobs({ indexTable: table, backupBucket: bucket }, op, true);
    assert.deepEqual([dry.blobsDeleted, dry.blobsKept], [1, 3]);
    assert.deepEqual((await where(alone))?.heldRefs, [ref(1)], 'a dry run changes nothing');
    assert.deepEqual((await where(shared))?.heldRefs, [ref(3), ref(5)]);
    const report = await sweepBlobs({ indexTable: table, backupBucket: bucket }, op, false);
    assert.deepEqual([report.blobsDeleted, report.blobsKept], [1, 3]);
    assert.equal(await where(alone), undefined, 'its only reference removed, the body goes');
    assert.deepEqual(
      (await where(held))?.heldRefs,
      [ref(2)],
      'a reference the purge did not remove keeps it',
    );
    assert.deepEqual(await readBack(held.sha256), held.content);
    const kept = await where(shared);
    assert.ok(kept, 'another item keeps the third body');
    assert.equal(kept.heldRefs, undefined, 'and its location lets go of the removed references');
    assert.deepEqual(await readBack(shared.sha256), shared.content);
    assert.deepEqual((await where(partly))?.heldRefs, [ref(7)], 'the fourth keeps the one not removed');
    assert.deepEqual(await readBack(partly.sha256), partly.content);
  });

  it('a packed body: a location written again meanwhile, holding a new reference, keeps it', async () => {
    setS3(cloud.clients.s3);
    const op = '00000000-0000-4000-8000-000000000009';
    const { sha256, body } = await packedCandidate(op);
    // Just after the sweep dropped the location, an indexer that found the body missing stores it again for
    // an item of its own.
    const fresh = indexKeys.blobRef(serverId, 6, 1);
    hookIndexDelete(async () => {
      setDynamodb(index);
      await packBodies(
        { table, bucket },
        [{ sha256, content: body }],
        undefined,
        new Map([[sha256, [fresh]]]),
      );
    });
    const report = await sweepBlobs({ indexTable: table, backupBucket: bucket }, op, false);
    setDynamodb(index);
    assert.equal(report.blobsRestored, 1);
    assert.deepEqual((await locateBodies(table, [sha256])).get(sha256)?.heldRefs, [fresh]);
    assert.deepEqual(await readBack(sha256), body);
  });

  it('an indexer that found a body located before the purge dropped it writes it again after its references', async () => {
    setS3(cloud.clients.s3);
    const op = '00000000-0000-4000-8000-000000000003';
    const { sha256, body } = await packedCandidate(op);
    // The indexer saw the location (so wrote nothing); the sweep drops it; the indexer writes its reference,
    // then, a sweep having overlapped its segment, looks for locations again and writes the body into a new pack.
    const seenAt = Date.now();
    const touched = new Set<string>();
    const report = await sweepBlobs({ indexTable: table, backupBucket: bucket }, op, false, touched);
    assert.equal(report.blobsDeleted, 1);
    assert.equal(touched.size, 1, 'its pack is left to the repack');
    assert.equal((await locateBodies(table, [sha256])).size, 0);
    // A segment that began after every sweep had finished (clocks apart by the margin) does not look again.
    const later = Date.now() + 10 * 60_000;
    assert.equal(await rewriteLostBodies({ table, bucket }, [{ sha256, content: body }], later), 0);
    assert.equal((await locateBodies(table, [sha256])).size, 0, 'nothing was read or written again');
    const written = await rewriteLostBodies({ table, bucket }, [{ sha256, content: body }], seenAt);
    assert.equal(written, 1);
    const now = (await locateBodies(table, [sha256])).get(sha256);
    assert.ok(now && !touched.has(now.pack), 'in a new pack');
    assert.deepEqual(await readBack(sha256), body);
    // A body still located is not written again.
    assert.equal(await rewriteLostBodies({ table, bucket }, [{ sha256, content: body }], seenAt), 0);
  });

  it('a repack copies what is live out of a mostly dead pack, moves its locations, and deletes the pack', async () => {
    setS3(cloud.clients.s3);
    const op = '00000000-0000-4000-8000-000000000007';
    const bodies = [1, 2, 3, 4].map((i) => {
      const content = Buffer.from(`Subject: pack ${i}\r\n\r\n${'x'.repeat(2000 * i)}${i}\r\n`);
      return { sha256: sha256Hex(content), content };
    });
    const kept = bodies[3];
    assert.ok(kept);
    // The fourth body's reference is held by its location (the item it was stored for).
    const keeper = indexKeys.blobRef(serverId, 4, 99);
    const packed = await packBodies({ table, bucket }, bodies, undefined, new Map([[kept.sha256, [keeper]]]));
    assert.equal(packed.packs.length, 1);
    const old = packed.packs[0] as string;
    // The first three bodies lose their last reference; the fourth keeps one.
    await putJson(
      bucket,
      `${candidatesPrefix(op)}000000-test.json`,
      bodies.slice(0, 3).map((b, i) => ({ sha256: b.sha256, ref: indexKeys.blobRef(serverId, 4, i) })),
    );
    const touched = new Set<string>();
    await sweepBlobs({ indexTable: table, backupBucket: bucket }, op, false, touched);
    const dry = await repackPacks({ indexTable: table, backupBucket: bucket }, op, touched, true, {
      ...DEFAULT_REPACK,
      smallBelow: 0,
    });
    assert.equal(dry.packsRepacked, 1, 'a dry run says it would repack');
    await cloud.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: old }));
    assert.ok(
      (await locateBodies(table, [kept.sha256])).get(kept.sha256)?.pack === old,
      'and changes nothing',
    );
    const report = await repackPacks({ indexTable: table, backupBucket: bucket }, op, touched, false, {
      ...DEFAULT_REPACK,
      smallBelow: 1,
      liveBelow: 0.9,
    });
    assert.equal(report.packsRepacked, 1);
    assert.equal(report.bodiesMoved, 1);
    assert.equal(report.packsWritten, 1);
    assert.ok(report.packBytesFreed > 0);
    await assert.rejects(cloud.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: old })));
    const moved = (await locateBodies(table, [kept.sha256])).get(kept.sha256);
    assert.ok(moved && moved.pack !== old);
    assert.deepEqual(moved.heldRefs, [keeper], 'the moved location still holds its reference');
    assert.deepEqual(await readBack(kept.sha256), kept.content, 'the live body reads from its new pack');
  });
});
