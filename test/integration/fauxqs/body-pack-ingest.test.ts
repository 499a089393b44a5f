// A scan's pack of bodies as the indexer takes it in, against the real bucket and index: sound frames are
// copied into the indexer's own packs and located, a damaged frame leaves out that body only (named), a
// pack whose trailer does not read is marked unreadable, and a redelivered announcement changes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { BodyPackAnnouncement } from '#core/announcement.ts';
import { indexKeys } from '#core/index-keys.ts';
import { encodePack } from '#core/storage/body-pack.ts';
import { serverKeys } from '#core/storage/server-keys.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';
import { setDynamodb } from '#functions/clients/dynamodb.ts';
import { setS3 } from '#functions/clients/s3.ts';
import type { FunctionConfig } from '#functions/config.ts';
import { handleIngest } from '#functions/index/handle-ingest.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { startTestCloud } from '#test/integration/harness.ts';
import { privateIndexerConfig } from '#test/support/collected-announcements.ts';
import { useLocalIndex } from '#test/support/index-checks.ts';
import { bodyLocation, objectBytes } from '#test/support/packed-bodies.ts';

const FAR = Date.now() + 3_600_000;
const serverId = 'srv-packs';

describe("a scan's pack of bodies, taken in by the indexer", () => {
  let cloud: LocalCloud;
  let config: FunctionConfig<'indexer'>;
  let n = 0;

  /** Puts the pack under the server's prefix as the agent does, and announces it (to the indexer's code). */
  async function ship(bytes: Buffer, bodies: number): Promise<BodyPackAnnouncement> {
    const sha256 = sha256Hex(bytes);
    const packedAt = new Date(Date.UTC(2026, 11, 6, 8, 0, ++n)).toISOString();
    const key = serverKeys.bodyPack(serverId, packedAt, sha256);
    await cloud.clients.s3.send(
      new PutObjectCommand({
        Bucket: config.backupBucket,
        Key: key,
        Body: bytes,
        Metadata: { sha256, codec: 'none', size: String(bytes.length) },
      }),
    );
    return {
      type: 'body-pack',
      serverId,
      key,
      sha256,
      size: bytes.length,
      storedSize: bytes.length,
      codec: 'none',
      bodies,
      packedAt,
      shippedAt: new Date().toISOString(),
    };
  }
  const body = (text: string) => {
    const content = Buffer.from(`Subject: ${text}\r\n\r\n${text.repeat(40)}\r\n`);
    return { sha256: sha256Hex(content), content };
  };
  async function catalogState(m: BodyPackAnnouncement): Promise<Record<string, unknown> | undefined> {
    const got = await useLocalIndex(cloud).send(
      new GetCommand({
        TableName: config.indexTable,
        Key: { pk: indexKeys.server(serverId), sk: indexKeys.bodyPack(m.packedAt, m.sha256) },
        ConsistentRead: true,
      }),
    );
    return got.Item;
  }

  before(async () => {
    cloud = await startTestCloud();
    useLocalIndex(cloud);
    setS3(cloud.clients.s3);
    config = await privateIndexerConfig(cloud, 'test-body-packs');
  });
  after(async () => {
    setDynamodb(undefined);
    setS3(undefined);
    await cloud?.stop();
  });

  it('copies sound bodies into its own packs, leaves out a damaged one by name, and takes a redelivery as done', async () => {
    const [a, b, c] = [body('alpha'), body('bravo'), body('charlie')];
    const pack = encodePack([a, b, c]);
    const damaged = Buffer.from(pack.bytes);
    const frame = pack.bodies[1];
    assert.ok(frame);
    const at = frame.offset + Math.floor(frame.length / 2);
    damaged[at] = (damaged[at] ?? 0) ^ 0xff;
    const announced = await ship(damaged, 3);
    const result = await handleIngest(announced, config, FAR);
    assert.equal(result.shipment, 'recorded');
    assert.equal(result.bodyPack?.state, 'applied');
    assert.equal(result.bodyPack?.bodies, 3);
    assert.equal(result.bodyPack?.stored, 2);
    assert.deepEqual(
      result.bodyPack?.damaged.map((d) => d.split(':')[0]),
      [b.sha256],
    );
    for (const sound of [a, c]) {
      const location = await bodyLocation(cloud, sound.sha256);
      assert.ok(location?.pack.startsWith('packs/'), "located in the indexer's own store");
      const bytes = await objectBytes(cloud, location?.pack ?? '');
      assert.ok(bytes.length > 0);
    }
    assert.equal(await bodyLocation(cloud, b.sha256), undefined, 'the damaged body is not located');
    const entry = await catalogState(announced);
    assert.equal(entry?.state, 'applied');
    assert.equal(entry?.stored, 2);
    const again = await handleIngest(announced, config, FAR);
    assert.equal(again.shipment, 'duplicate');
    assert.equal(again.bodyPack?.state, 'already');
  });

  it('keeps a body it has already where it is, and marks a pack whose trailer does not read as unreadable', async () => {
    const a = body('alpha');
    const before = await bodyLocation(cloud, a.sha256);
    assert.ok(before);
    const known = await handleIngest(await ship(encodePack([a]).bytes, 1), config, FAR);
    assert.equal(known.bodyPack?.stored, 0);
    assert.deepEqual(await bodyLocation(cloud, a.sha256), before, 'not copied twice');

    const cut = encodePack([body('delta')]).bytes;
    const broken = cut.subarray(0, cut.length - 3);
    const announced = await ship(Buffer.from(broken), 1);
    const result = await handleIngest(announced, config, FAR);
    assert.equal(result.bodyPack?.state, 'unreadable');
    assert.match(result.bodyPack?.reason ?? '', /pack footer|trailer/);
    const entry = await catalogState(announced);
    assert.equal(entry?.state, 'unreadable');
  });
});
