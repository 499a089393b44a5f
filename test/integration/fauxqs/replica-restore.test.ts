// The region is lost; the replica is all there is. A deployment's bucket is replicated (every object with its
// metadata, as S3 replication copies it) into the bucket of a second, empty deployment; the first is stopped.
// From the replica alone the second finds the servers, rebuilds its index with `offsite backup reindex`,
// restores accounts at random instants exactly as the ground truth had them, still verifies the first
// deployment's drill attestation with its public key, and passes a drill of its own.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { s3BundleSource } from '#agent/restore/bundle-source.ts';
import { openBundle } from '#agent/restore/open-bundle.ts';
import type { Operation } from '#core/operation.ts';
import { seededRandom } from '#core/seeded-random.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { operationEnded, startTestCloud } from '#test/integration/harness.ts';
import { LOCAL_AWS_ENV, offsiteJson } from '#test/support/agent-cli.ts';
import { comparableSnapshot, snapshotOfBundle } from '#test/support/bundle-state.ts';
import { localControl } from '#test/support/local-control.ts';
import { randomInstants } from '#test/support/random-instants.ts';
import { replicateBucket } from '#test/support/replicate-bucket.ts';
import { shipSimulatedHost } from '#test/support/ship-and-index.ts';
import { type TruthHistory, truthHistory } from '#test/support/truth-history.ts';

const serverId = 'srv-replica';

describe('restore from the replica alone', () => {
  let primary: LocalCloud | undefined;
  let second: LocalCloud;
  let sim: MailHostSimulator;
  let history: TruthHistory;
  let primaryDrill: Operation;
  const work = mkdtempSync(join(tmpdir(), 'offsite-replica-'));
  const keyFile = join(work, 'primary-drill-key.pem');
  const env = (cloud: LocalCloud) => ({ OFFSITE_CONTROL_URL: cloud.outputs.ControlUrl as string });
  const cli = <T>(cloud: LocalCloud, ...args: string[]) => offsiteJson<T>(args, env(cloud));

  before(async () => {
    primary = await startTestCloud();
    sim = new MailHostSimulator({
      hostDir: join(work, 'host'),
      seed: 61,
      accounts: 3,
      rolloverBytes: 256 * 1024,
      tickMaxMs: 120_000,
    });
    sim.run(300);
    sim.close();
    history = truthHistory(sim);
    await shipSimulatedHost(
      primary,
      { serverId, hostDir: sim.hostDir, workDir: work, segmentKiB: 64 },
      240_000,
    );
    const drilled = await cli<Operation>(primary, 'drill', 'run', '--accounts', '2', '--wait');
    assert.equal(drilled.code, 0, drilled.body.error);
    primaryDrill = drilled.body;
    // An auditor keeps the primary's public key (from KMS in AWS) apart from the region.
    writeFileSync(keyFile, (await localControl(primary).call('drillKey', {})).publicKey);

    second = await startTestCloud();
    const copied = await replicateBucket(
      { client: primary.clients.s3, bucket: primary.outputs.BackupBucketName as string },
      { client: second.clients.s3, bucket: second.outputs.BackupBucketName as string },
    );
    assert.ok(copied > 10, `${copied} objects replicated`);
    // The region is gone.
    await primary.stop();
    primary = undefined;
  });
  after(async () => {
    await primary?.stop();
    await second?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('finds the servers in the replica and rebuilds the index from it', async () => {
    // The AWS CLI, as an operator would: each server ships under servers/<id>/.
    const { stdout } = await promisify(execFile)(
      'aws',
      ['s3', 'ls', `s3://${second.outputs.BackupBucketName}/servers/`, '--endpoint-url', second.endpoints.s3],
      { env: { ...process.env, ...LOCAL_AWS_ENV } },
    );
    const servers = [...stdout.matchAll(/PRE ([A-Za-z0-9._-]+)\//g)].map((m) => m[1]);
    assert.deepEqual(servers, [serverId]);
    const reindexed = await cli<Operation>(second, 'backup', 'reindex', '--server', serverId, '--wait');
    assert.equal(reindexed.code, 0, reindexed.body.error);
    assert.equal(reindexed.body.state, 'succeeded');
  });

  it('restores every account at random instants exactly as the ground truth had them', async () => {
    const client = localControl(second);
    for (const t of randomInstants(history.times, 6, seededRandom(12))) {
      if (Object.keys(sim.truthAt(t).mailboxes).length === 0) continue;
      const created = await client.request<Operation>('POST', '/operations', {
        kind: 'restore',
        params: { mode: 'point-in-time', all: true, at: t },
      });
      const op = await operationEnded(client, created.id, 120_000);
      assert.equal(op.state, 'succeeded', `restore at ${new Date(t).toISOString()}: ${op.error}`);
      assert.equal(op.result?.unrestored, 0);
      const bundle = await openBundle(
        s3BundleSource(second.clients.s3, second.outputs.BackupBucketName as string, op.id),
        op.result?.sha256 as string,
      );
      assert.deepEqual(
        await snapshotOfBundle(bundle),
        comparableSnapshot(sim.truthAt(t)),
        `at ${new Date(t).toISOString()}`,
      );
    }
  });

  it("keeps the primary's drill evidence, verifiable with its key, and passes a drill of its own", async () => {
    const kept = await cli<{ verified: boolean; attestation: { outcome: string } }>(
      second,
      'drill',
      'show',
      primaryDrill.id,
      '--verify',
      '--public-key',
      keyFile,
    );
    assert.equal(kept.code, 0);
    assert.equal(kept.body.verified, true);
    assert.equal(kept.body.attestation.outcome, 'passed');
    // The second deployment's own key did not sign it.
    const own = await cli<{ verified: boolean }>(second, 'drill', 'show', primaryDrill.id, '--verify');
    assert.equal(own.code, 1);
    assert.equal(own.body.verified, false);
    const drilled = await cli<Operation>(
      second,
      'drill',
      'run',
      '--accounts',
      '3',
      '--days',
      '3650',
      '--wait',
    );
    assert.equal(drilled.code, 0, drilled.body.error);
    assert.equal(drilled.body.result?.outcome, 'passed');
  });
});
