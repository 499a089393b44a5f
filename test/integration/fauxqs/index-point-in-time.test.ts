// fauxqs only: moto's SQS is too slow for a multi-day workload's announcements.
// A multi-day workload (renames, moves, deletes, emptied folders, deleted mailboxes) is shipped by the real
// agent and indexed by the indexer function; the index then answers "mailbox as of T" exactly as the
// simulator's ground truth has it, at 100 random instants.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAgentConfig } from '#agent/config/agent-config.ts';
import { memoryLog } from '#agent/observability.ts';
import { Shipper } from '#agent/ship/shipper.ts';
import { mailboxStateOf } from '#core/index/mailbox-state-of.ts';
import type { MailSnapshot } from '#core/mail-snapshot.ts';
import { seededRandom } from '#core/seeded-random.ts';
import { mailboxAsOf, mailboxesAsOf } from '#functions/query/mailbox-as-of.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { startTestCloud } from '#test/integration/harness.ts';
import { indexTable, useLocalIndex, waitForIndexed } from '#test/support/index-checks.ts';

describe('the index answers "mailbox as of T"', () => {
  let cloud: LocalCloud;
  const work = mkdtempSync(join(tmpdir(), 'offsite-index-'));
  before(async () => {
    cloud = await startTestCloud();
  });
  after(async () => {
    await cloud?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  async function snapshotAt(serverId: string, time: number): Promise<MailSnapshot> {
    const table = indexTable(cloud);
    const snapshot: MailSnapshot = { mailboxes: {} };
    const { mailboxes } = await mailboxesAsOf(table, serverId, time);
    for (const mailboxId of mailboxes.keys()) {
      const found = await mailboxAsOf(table, serverId, mailboxId, time);
      if (found) snapshot.mailboxes[String(mailboxId)] = mailboxStateOf(found.mailbox, found.entities);
    }
    return snapshot;
  }

  it('equals the ground truth at 100 random instants of a three-day workload', async () => {
    const sim = new MailHostSimulator({
      hostDir: join(work, 'host'),
      seed: 5,
      accounts: 6,
      rolloverBytes: 192 * 1024,
      tickMaxMs: 120_000,
    });
    sim.run(1500);
    sim.close();
    for (const action of [
      'rename-account',
      'delete-mailbox',
      'empty-trash',
      'move',
      'rename-folder',
      'deliver-shared',
    ])
      assert.ok((sim.counts[action] ?? 0) > 0, `the workload did not ${action}`);
    const times = sim.commitTimes();
    const first = times[0] as number;
    const last = times.at(-1) as number;
    assert.ok(last - first > 2 * 86_400_000, 'the workload spans more than two days');

    const config = parseAgentConfig({
      serverId: 'srv-pit',
      zimbraHome: sim.hostDir,
      stateDir: join(work, 'state'),
      aws: {
        region: 'us-east-1',
        bucket: cloud.outputs.BackupBucketName,
        ingestQueueUrl: cloud.outputs.IngestQueueUrl,
      },
      segment: { maxMiB: 48 / 1024 },
    });
    const shipper = await Shipper.open({
      config,
      s3: cloud.clients.s3,
      sqs: cloud.clients.sqs,
      log: memoryLog(),
    });
    await shipper.shipOnce();
    useLocalIndex(cloud);
    const cursor = await waitForIndexed(cloud, config.serverId, 240_000);
    assert.equal(cursor.pending.length, 0, 'no transaction is left open after a clean close');

    const random = seededRandom(3);
    for (let i = 0; i < 100; i++) {
      const t =
        i % 2 === 0
          ? (times[Math.floor(random() * times.length)] as number)
          : first + Math.floor(random() * (last - first));
      assert.deepEqual(
        await snapshotAt(config.serverId, t),
        sim.truthAt(t),
        `state at ${new Date(t).toISOString()}`,
      );
    }
    // Before the first commit nothing existed; after the last, everything is as it is now.
    assert.deepEqual(await snapshotAt(config.serverId, first - 1), { mailboxes: {} });
    assert.deepEqual(await snapshotAt(config.serverId, last + 1), sim.current());
  });
});
