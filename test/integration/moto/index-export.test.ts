// moto only: DynamoDB Local has no table export. With a replica configured, the daily rule exports the index
// and operations tables into the bucket's index-exports/ (where replication carries them); the export holds
// every item of the index, read back here as DynamoDB JSON.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { indexExportPrefix } from '#core/storage/index-export-keys.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { eventually, startTestCloud } from '#test/integration/harness.ts';
import { indexTable, operationsTable, useLocalIndex } from '#test/support/index-checks.ts';
import { shipSimulatedHost } from '#test/support/ship-and-index.ts';

const serverId = 'srv-export';

describe('the daily table export beside the replica', () => {
  let cloud: LocalCloud;
  const work = mkdtempSync(join(tmpdir(), 'offsite-index-export-'));

  before(async () => {
    cloud = await startTestCloud({
      context: {
        offsite: {
          replica: {
            bucket: 'offsite-replica-eu',
            region: 'eu-west-1',
            kmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
          },
        },
      },
    });
    const sim = new MailHostSimulator({
      hostDir: join(work, 'host'),
      seed: 9,
      accounts: 2,
      tickMaxMs: 60_000,
    });
    sim.run(80);
    sim.close();
    await shipSimulatedHost(
      cloud,
      { serverId, hostDir: sim.hostDir, workDir: work, segmentKiB: 64 },
      240_000,
    );
  });
  after(async () => {
    await cloud?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('exports every item of the index and the operations table into index-exports/<table>/<date>', async () => {
    const bucket = cloud.outputs.BackupBucketName as string;
    const firedAt = new Date();
    const [firing] = await cloud.schedules.fireNamed('Offsite-index-export', firedAt);
    assert.equal(firing?.ok, true, firing?.error);
    const table = indexTable(cloud);
    const itemsOf = async (prefix: string): Promise<Record<string, unknown>[]> => {
      const listed = await cloud.clients.s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }),
      );
      const items: Record<string, unknown>[] = [];
      for (const o of listed.Contents ?? []) {
        if (!o.Key?.endsWith('.gz')) continue;
        const got = await cloud.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key }));
        const text = gunzipSync(
          Buffer.from(
            await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
          ),
        ).toString('utf8');
        for (const line of text.split('\n'))
          if (line) items.push(JSON.parse(line) as Record<string, unknown>);
      }
      return items;
    };
    const indexPrefix = indexExportPrefix(table, firedAt.toISOString());
    const exported = await eventually(
      async () => {
        const items = await itemsOf(indexPrefix);
        return items.length > 0 ? items : undefined;
      },
      60_000,
      `the export of ${table} under ${indexPrefix}`,
    );
    const { Items = [] } = await useLocalIndex(cloud).send(new ScanCommand({ TableName: table }));
    assert.ok(Items.length > 10, 'an index to export');
    const keysOf = (items: { pk: unknown; sk: unknown }[]) => items.map((i) => `${i.pk}|${i.sk}`).sort();
    const exportedKeys = exported.map((line) => {
      const item = line.Item as { pk: { S: string }; sk: { S: string } };
      return { pk: item.pk.S, sk: item.sk.S };
    });
    assert.deepEqual(keysOf(exportedKeys), keysOf(Items as { pk: unknown; sk: unknown }[]));
    const operations = await eventually(
      async () => {
        const listed = await cloud.clients.s3.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: indexExportPrefix(operationsTable(cloud), firedAt.toISOString()),
          }),
        );
        return (listed.KeyCount ?? 0) > 0 ? true : undefined;
      },
      60_000,
      'the export of the operations table',
    );
    assert.ok(operations);
  });
});
