// fauxqs only: fifty restores of a multi-day workload need fauxqs' SQS speed.
// Restores through the whole pipeline (control API → planner → workers → bundle in S3), checked against the
// simulator's ground truth: point in time at 50 random instants, every mode on a concrete scenario from the
// workload, the CLI's download and apply to Maildir, mbox, tgz and a real Dovecot, read back by an
// independent IMAP client.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { zstdCompressSync } from 'node:zlib';
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { parseAgentConfig } from '#agent/config/agent-config.ts';
import { ControlClient } from '#agent/control-client.ts';
import { memoryLog } from '#agent/observability.ts';
import { s3BundleSource } from '#agent/restore/bundle-source.ts';
import { type OpenBundle, openBundle } from '#agent/restore/open-bundle.ts';
import { Shipper } from '#agent/ship/shipper.ts';
import { blobKey } from '#core/blob-key.ts';
import { attr } from '#core/ldap/directory-entry.ts';
import { formatLdif, parseLdif } from '#core/ldap/ldif.ts';
import { FLAG } from '#core/mail-item.ts';
import type { MailboxState } from '#core/mail-snapshot.ts';
import type { Operation } from '#core/operation.ts';
import { seededRandom } from '#core/seeded-random.ts';
import type { RestoreReport } from '#functions/restore/finalize-restore.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { eventually, startTestCloud } from '#test/integration/harness.ts';
import { offsite } from '#test/support/agent-cli.ts';
import {
  comparableSnapshot,
  comparableTruth,
  snapshotOfBundle,
  stateOfManifest,
} from '#test/support/bundle-state.ts';
import { type Dovecot, imapListing, startDovecot } from '#test/support/dovecot.ts';
import { readDirectoryCursor, useLocalIndex, waitForIndexed } from '#test/support/index-checks.ts';
import { announce, uploadLdapDump } from '#test/support/ldap-dumps.ts';
import { randomInstants } from '#test/support/random-instants.ts';
import { type TruthHistory, truthHistory } from '#test/support/truth-history.ts';

const serverId = 'srv-restore';

describe('restore', () => {
  let cloud: LocalCloud;
  let sim: MailHostSimulator;
  let history: TruthHistory;
  let client: ControlClient;
  let bucket: string;
  const dumpTimes: number[] = [];
  const work = mkdtempSync(join(tmpdir(), 'offsite-restore-'));
  const dovecots: Dovecot[] = [];

  const cliEnv = () => ({
    AWS_ENDPOINT_URL_S3: cloud.endpoints.s3,
    OFFSITE_BUCKET: bucket,
    OFFSITE_CONTROL_URL: cloud.outputs.ControlUrl as string,
  });
  async function cli<T = unknown>(...args: string[]): Promise<T> {
    const out = await offsite(['restore', ...args, '--json'], cliEnv());
    assert.equal(out.code, 0, `offsite restore ${args.join(' ')}: ${out.stderr}`);
    return JSON.parse(out.stdout) as T;
  }
  async function restore(params: Record<string, unknown>): Promise<Operation> {
    const op = await client.request<Operation>('POST', '/operations', { kind: 'restore', params });
    return waitFinished(op.id);
  }
  async function waitFinished(id: string): Promise<Operation> {
    return eventually(
      async () => {
        const op = await client.request<Operation>('GET', `/operations/${id}`);
        return op.state === 'queued' || op.state === 'running' ? undefined : op;
      },
      120_000,
      `restore ${id} to finish`,
    );
  }
  const bundleOf = (op: Operation): Promise<OpenBundle> =>
    openBundle(s3BundleSource(cloud.clients.s3, bucket, op.id), op.result?.sha256 as string);
  /** The name the directory gave a mailbox's account at `time` (the LDAP dump at or before it). */
  function nameAt(mailboxId: number, time: number): string | undefined {
    const dump = dumpTimes.filter((t) => t <= time).at(-1);
    const accountId = (sim.truthAt(time).mailboxes[mailboxId] ?? sim.truthAt(time - 1).mailboxes[mailboxId])
      ?.accountId;
    if (dump === undefined || !accountId) return undefined;
    const entry = sim.directoryAt(dump).find((e) => attr(e, 'zimbraId')[0] === accountId);
    return entry ? attr(entry, 'zimbraMailDeliveryAddress')[0]?.toLowerCase() : undefined;
  }

  before(async () => {
    cloud = await startTestCloud();
    useLocalIndex(cloud);
    bucket = cloud.outputs.BackupBucketName as string;
    client = new ControlClient({
      url: cloud.outputs.ControlUrl as string,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    sim = new MailHostSimulator({
      hostDir: join(work, 'host'),
      seed: 23,
      accounts: 5,
      rolloverBytes: 192 * 1024,
      tickMaxMs: 120_000,
    });
    sim.run(900);
    sim.close();
    history = truthHistory(sim);
    for (const action of ['empty-trash', 'delete', 'delete-mailbox', 'trash', 'deliver-shared'])
      assert.ok((sim.counts[action] ?? 0) > 0, `the workload did not ${action}`);
    const shipper = await Shipper.open({
      config: parseAgentConfig({
        serverId,
        zimbraHome: sim.hostDir,
        stateDir: join(work, 'state'),
        aws: { region: 'us-east-1', bucket, ingestQueueUrl: cloud.outputs.IngestQueueUrl },
        segment: { maxMiB: 48 / 1024 },
      }),
      s3: cloud.clients.s3,
      sqs: cloud.clients.sqs,
      log: memoryLog(),
    });
    await shipper.shipOnce();
    // The directory as an hourly LDAP dump would have caught it: 40 dumps across the workload.
    const first = history.times[0] as number;
    const last = history.times.at(-1) as number;
    for (let i = 0; i <= 40; i++) dumpTimes.push(Math.round(first - 1 + ((last + 1 - first) * i) / 40));
    for (const at of dumpTimes)
      await announce(
        cloud.clients.sqs,
        cloud.outputs.IngestQueueUrl as string,
        await uploadLdapDump(cloud.clients.s3, bucket, serverId, at, formatLdif(sim.directoryAt(at))),
      );
    await waitForIndexed(cloud, serverId, 240_000);
    await eventually(
      async () =>
        (await readDirectoryCursor(cloud, serverId)) === new Date(dumpTimes.at(-1) as number).toISOString()
          ? true
          : undefined,
      120_000,
      'the last LDAP dump to be indexed',
    );
  });
  after(async () => {
    for (const d of dovecots) await d.stop();
    await cloud?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('restores every account at 50 random instants exactly as the ground truth had it, byte for byte', async () => {
    const instants = randomInstants(history.times, 50, seededRandom(8));
    const pending = [...instants];
    const check = async (t: number) => {
      const op = await restore({ mode: 'point-in-time', all: true, at: t, chunkItems: 40 });
      if (Object.keys(sim.truthAt(t).mailboxes).length === 0) {
        assert.equal(op.state, 'failed', 'nothing existed: nothing to restore');
        return;
      }
      assert.equal(op.state, 'succeeded', `restore at ${new Date(t).toISOString()}: ${op.error}`);
      assert.equal(op.result?.unrestored, 0);
      const bundle = await bundleOf(op);
      assert.deepEqual(
        await snapshotOfBundle(bundle),
        comparableSnapshot(sim.truthAt(t)),
        `bundle at ${new Date(t).toISOString()}`,
      );
      for (const account of bundle.accounts) {
        const name = nameAt(account.account.mailboxId, t);
        if (name) assert.equal(account.account.name, name, 'the account is named as the directory had it');
      }
    };
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let t = pending.shift(); t !== undefined; t = pending.shift()) await check(t);
      }),
    );
  });
});
