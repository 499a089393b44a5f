// fauxqs only: many restores need fauxqs' SQS speed.
// Retention against the ground truth: days of simulated mail are shipped and indexed, a retention policy is
// set (a default, an account kept forever, an account on legal hold), a dry run reports and changes nothing,
// then the purge removes what ended before the cutoff. Every instant after the cutoff still restores exactly;
// items deleted before it are gone unless their account is kept; no blob a retained version needs is lost.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { ControlClient } from '#agent/control-client.ts';
import { s3BundleSource } from '#agent/restore/bundle-source.ts';
import { openBundle } from '#agent/restore/open-bundle.ts';
import type { ItemState, RestorePoints } from '#core/control-api.ts';
import { indexKeys } from '#core/index-keys.ts';
import type { MailSnapshot } from '#core/mail-snapshot.ts';
import type { Operation } from '#core/operation.ts';
import { cutOfBaseScanId } from '#core/retention/base-scan-id.ts';
import { seededRandom } from '#core/seeded-random.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { operationEnded, startTestCloud } from '#test/integration/harness.ts';
import { LOCAL_AWS_ENV, offsite } from '#test/support/agent-cli.ts';
import { comparableSnapshot, snapshotOfBundle } from '#test/support/bundle-state.ts';
import { deleteEveryItem, indexTable, useLocalIndex } from '#test/support/index-checks.ts';
import { shipLdapDumps } from '#test/support/ldap-dumps.ts';
import { localControl } from '#test/support/local-control.ts';
import { storedBodies } from '#test/support/packed-bodies.ts';
import { randomInstants } from '#test/support/random-instants.ts';
import { shipSimulatedHost } from '#test/support/ship-and-index.ts';

const serverId = 'srv-purge';
const DAY = 86_400_000;

describe('retention and purge against the ground truth', () => {
  let cloud: LocalCloud;
  let sim: MailHostSimulator;
  let client: ControlClient;
  let bucket: string;
  let asOf: number;
  let cutoff: number;
  let forever: string;
  let held: string;
  let dryRun: Operation;
  let purge: Operation;
  let blobsBefore: Set<string>;
  const dumpTimes: number[] = [];
  const work = mkdtempSync(join(tmpdir(), 'offsite-purge-'));
  const env = () => ({ OFFSITE_CONTROL_URL: cloud.outputs.ControlUrl as string });

  const finished = (id: string) => operationEnded(client, id, 180_000);
  const storedBlobs = () => storedBodies(cloud);
  async function history(mailboxId: string, itemId: string): Promise<ItemState[]> {
    return (
      await client.request<{ history: ItemState[] }>(
        'GET',
        `/mailboxes/${encodeURIComponent(`${serverId}:${mailboxId}`)}/items/${itemId}`,
      )
    ).history;
  }
  /** Items (messages) of each mailbox that existed before the cutoff and were deleted before it. */
  function deletedBeforeCutoff(): Map<string, Set<string>> {
    const times = sim.commitTimes().filter((t) => t < cutoff);
    const atCutoff = sim.truthAt(cutoff);
    const out = new Map<string, Set<string>>();
    for (const t of randomInstants(times, 30, seededRandom(3))) {
      for (const [mailboxId, mailbox] of Object.entries(sim.truthAt(t).mailboxes)) {
        for (const id of Object.keys(mailbox.messages)) {
          if (atCutoff.mailboxes[mailboxId]?.messages[id]) continue;
          out.set(mailboxId, (out.get(mailboxId) ?? new Set()).add(id));
        }
      }
    }
    return out;
  }

  before(async () => {
    cloud = await startTestCloud();
    bucket = cloud.outputs.BackupBucketName as string;
    client = localControl(cloud);
    // About a week of mail: records a few minutes apart.
    sim = new MailHostSimulator({ hostDir: join(work, 'host'), seed: 77, accounts: 5, tickMaxMs: 600_000 });
    sim.run(700);
    sim.close();
    await shipSimulatedHost(
      cloud,
      { serverId, hostDir: sim.hostDir, workDir: work, segmentKiB: 64 },
      240_000,
    );
    // The directory as daily LDAP dumps caught it.
    const span = sim.commitTimes();
    for (let at = span[0] as number; at <= (span.at(-1) as number); at += DAY / 2) dumpTimes.push(at);
    await shipLdapDumps(cloud, serverId, dumpTimes, (t) => sim.directoryAt(t));

    const times = sim.commitTimes();
    asOf = (times.at(-1) as number) + 1;
    cutoff = asOf - 2 * DAY;
    assert.ok(
      (times[0] as number) < cutoff - DAY,
      `the history spans more than the retention (${new Date(times[0] as number).toISOString()} – ${new Date(asOf).toISOString()})`,
    );
    const accounts = Object.values(sim.current().mailboxes).map((m) => m.accountId);
    [forever, held] = accounts as [string, string];
    for (const args of [
      ['--default-days', '2'],
      ['--account', forever, '--days', '0'],
    ]) {
      const set = await offsite(['retention', 'set', ...args, '--json'], env());
      assert.equal(set.code, 0, set.stderr);
    }
    const hold = await offsite(['hold', 'add', held, '--reason', 'case 42', '--json'], env());
    assert.equal(hold.code, 0, hold.stderr);
    blobsBefore = await storedBlobs();

    const dry = await offsite(
      ['ops', 'start', 'purge', '--params', JSON.stringify({ dryRun: true, asOf }), '--wait', '--json'],
      env(),
    );
    assert.equal(dry.code, 0, dry.stderr);
    dryRun = JSON.parse(dry.stdout) as Operation;
    const real = await offsite(
      ['ops', 'start', 'purge', '--params', JSON.stringify({ asOf }), '--wait', '--json'],
      env(),
    );
    assert.equal(real.code, 0, real.stderr);
    purge = JSON.parse(real.stdout) as Operation;
    process.stdout.write(`# purge: ${JSON.stringify(purge.result)}\n`);
  });
  after(async () => {
    await cloud?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('shows the policy and the hold as set', async () => {
    const out = await offsite(['retention', 'show', '--json'], env());
    assert.equal(out.code, 0, out.stderr);
    const shown = JSON.parse(out.stdout) as {
      policy: { defaultDays: number; accounts: Record<string, number> };
      holds: { accountId: string; reason: string }[];
    };
    assert.equal(shown.policy.defaultDays, 2);
    assert.deepEqual(shown.policy.accounts, { [forever]: 0 });
    assert.deepEqual(
      shown.holds.map((h) => [h.accountId, h.reason]),
      [[held, 'case 42']],
    );
  });

  it('a dry run reports what would go and the real purge removes exactly that', () => {
    assert.equal(dryRun.state, 'succeeded', dryRun.error);
    assert.equal(purge.state, 'succeeded', purge.error);
    const count = (op: Operation, name: string) => Number(op.result?.[name] ?? 0);
    assert.ok(count(dryRun, 'versionsPurged') > 0, 'something is older than the retention');
    assert.ok(count(dryRun, 'blobsDeleted') > 0, 'some bodies are needed by nothing retained');
    for (const name of ['versionsPurged', 'itemsGone', 'referencesRemoved', 'blobsDeleted', 'bytesFreed'])
      assert.equal(count(purge, name), count(dryRun, name), name);
    assert.equal(count(purge, 'mailboxesKept'), 2, 'the account kept forever and the one on hold');
    assert.equal(count(purge, 'ldapDumpsPurged'), 0, 'the server is kept whole: its LDAP dumps too');
  });

  it('restores every account at 8 random instants after the cutoff exactly as the ground truth had it', async () => {
    const times = sim.commitTimes().filter((t) => t >= cutoff);
    for (const t of [cutoff, ...randomInstants(times, 7, seededRandom(9))]) {
      const created = await client.request<Operation>('POST', '/operations', {
        kind: 'restore',
        params: { mode: 'point-in-time', all: true, at: t, chunkItems: 50 },
      });
      const op = await finished(created.id);
      assert.equal(op.state, 'succeeded', `restore at ${new Date(t).toISOString()}: ${op.error}`);
      assert.equal(op.result?.unrestored, 0, 'every body is still there');
      const bundle = await openBundle(
        s3BundleSource(cloud.clients.s3, bucket, op.id),
        op.result?.sha256 as string,
      );
      assert.deepEqual(
        await snapshotOfBundle(bundle),
        comparableSnapshot(sim.truthAt(t)),
        new Date(t).toISOString(),
      );
    }
  });

  it('items deleted before the cutoff are gone, except in the account kept forever and the one on hold', async () => {
    const deleted = deletedBeforeCutoff();
    const accountOf = (mailboxId: string) => sim.current().mailboxes[mailboxId]?.accountId;
    let gone = 0;
    let kept = 0;
    for (const [mailboxId, ids] of deleted) {
      const keeps = [forever, held].includes(accountOf(mailboxId) as string);
      for (const id of ids) {
        const states = await history(mailboxId, id);
        if (keeps) {
          assert.ok(states.length > 0, `mailbox ${mailboxId} item ${id} is kept`);
          kept++;
        } else {
          assert.deepEqual(states, [], `mailbox ${mailboxId} item ${id} is gone`);
          gone++;
        }
      }
    }
    assert.ok(gone > 0 && kept > 0, `both cases occur (gone ${gone}, kept ${kept})`);
  });

  it('keeps every blob a retained version needs, shared ones included, and deletes the others', async () => {
    const after = await storedBlobs();
    const needed = new Set<string>();
    const shaOf = (s: MailSnapshot) =>
      Object.values(s.mailboxes).flatMap((m) => [
        ...Object.values(m.messages).map((x) => x.sha256),
        ...Object.values(m.contacts).flatMap((c) => (c.sha256 ? [c.sha256] : [])),
      ]);
    for (const t of [
      cutoff,
      ...randomInstants(
        sim.commitTimes().filter((x) => x >= cutoff),
        20,
        seededRandom(4),
      ),
    ])
      for (const sha of shaOf(sim.truthAt(t))) needed.add(sha);
    for (const sha of needed) assert.ok(after.has(sha), `blob ${sha} is kept`);
    const deletedBlobs = [...blobsBefore].filter((sha) => !after.has(sha));
    assert.equal(
      deletedBlobs.length,
      Number(purge.result?.blobsDeleted),
      'the listing agrees with the report',
    );
    assert.ok(deletedBlobs.length > 0);
    // A body shared by a purged item and a retained one stays.
    const deleted = deletedBeforeCutoff();
    const purgedBodies = new Set<string>();
    const early = sim.truthAt(sim.commitTimes().find((t) => t > cutoff - DAY) as number);
    for (const [mailboxId, ids] of deleted)
      for (const id of ids) {
        const sha = early.mailboxes[mailboxId]?.messages[id]?.sha256;
        if (sha) purgedBodies.add(sha);
      }
    const shared = [...purgedBodies].filter((sha) => needed.has(sha));
    for (const sha of shared) assert.ok(after.has(sha));
    // A contact's body goes like a message's: one it held only before the cutoff (a vCard saved again since,
    // each save's bytes being unique here) is deleted, unless its account is kept.
    const keptAccounts = new Set([forever, held]);
    const atCutoff = new Set(shaOf(sim.truthAt(cutoff)));
    const oldCards = new Set<string>();
    for (const t of randomInstants(
      sim.commitTimes().filter((x) => x < cutoff),
      30,
      seededRandom(5),
    ))
      for (const mailbox of Object.values(sim.truthAt(t).mailboxes))
        if (!keptAccounts.has(mailbox.accountId))
          for (const contact of Object.values(mailbox.contacts))
            if (contact.sha256 && !atCutoff.has(contact.sha256) && !needed.has(contact.sha256))
              oldCards.add(contact.sha256);
    assert.ok(oldCards.size > 0, 'some contact was saved again before the cutoff');
    for (const sha of oldCards) {
      assert.ok(blobsBefore.has(sha), `contact body ${sha} was stored`);
      assert.ok(!after.has(sha), `contact body ${sha}, needed by nothing retained, is deleted`);
    }
    process.stdout.write(
      `# ${deletedBlobs.length} blobs deleted (${oldCards.size} old contact bodies); ${shared.length} bodies of purged items kept for retained ones\n`,
    );
  });

  it('once the hold is released and the account no longer kept, the next purge takes their history and the redo every mailbox is past', async () => {
    const released = await offsite(['hold', 'release', held], env());
    assert.equal(released.code, 0, released.stderr);
    // The audit trail says who placed the hold and who released it (locally, the one signed caller).
    const audit = await offsite(['hold', 'audit', '--json'], env());
    assert.equal(audit.code, 0, audit.stderr);
    const trail = (
      JSON.parse(audit.stdout) as { audit: { action: string; accountId?: string; by: string }[] }
    ).audit;
    const heldId = trail.find((a) => a.action === 'hold')?.accountId;
    assert.ok(heldId, 'the hold is in the trail');
    assert.deepEqual(
      trail.filter((a) => a.accountId === heldId).map((a) => a.action),
      ['hold', 'release'],
    );
    for (const entry of trail) assert.match(entry.by, /^arn:aws:sts::\d{12}:assumed-role\//);
    assert.ok(
      trail.some((a) => a.action === 'retention'),
      'retention changes are in the trail too',
    );
    const unset = await offsite(['retention', 'set', '--account', forever, '--unset'], env());
    assert.equal(unset.code, 0, unset.stderr);
    const listing = async (prefix: string) =>
      (
        await promisify(execFile)(
          'aws',
          [
            's3',
            'ls',
            `s3://${bucket}/servers/${serverId}/${prefix}/`,
            '--recursive',
            '--endpoint-url',
            cloud.endpoints.s3,
          ],
          { env: LOCAL_AWS_ENV },
        )
      ).stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split(' ').at(-1) as string);
    const redo = async () => (await listing('redo')).length;
    const segmentsBefore = await redo();
    const out = await offsite(
      ['ops', 'start', 'purge', '--params', JSON.stringify({ asOf }), '--wait', '--json'],
      env(),
    );
    assert.equal(out.code, 0, out.stderr);
    const again = JSON.parse(out.stdout) as Operation;
    const purged = Number(again.result?.segmentsPurged);
    assert.equal(again.result?.mailboxesKept, undefined, 'no mailbox is kept whole any more');
    assert.ok(purged > 0, 'redo older than every cutoff is removed');
    assert.equal(await redo(), segmentsBefore - purged, 'the bucket agrees');
    // LDAP dumps before the cutoff go, but the newest of them: the directory as it was at the cutoff.
    const dumpKey = (at: number) => new Date(at).toISOString().replace(/[-:]/g, '');
    const dumpsLeft = (await listing('ldap')).map((key) => key.split('/').at(-1)?.slice(0, 20)).sort();
    const kept = dumpTimes.filter((at, i) => at > cutoff || (dumpTimes[i + 1] ?? Infinity) > cutoff);
    assert.deepEqual(dumpsLeft, kept.map(dumpKey).sort());
    assert.equal(Number(again.result?.ldapDumpsPurged), dumpTimes.length - kept.length);
    assert.ok(Number(again.result?.ldapDumpsPurged) > 0);

    const listed = await offsite(['backup', 'list', '--server', serverId, '--json'], env());
    const points = (JSON.parse(listed.stdout) as RestorePoints[])[0] as RestorePoints;
    assert.equal(points.purged.segments, purged);
    assert.ok(Date.parse(points.purged.until as string) < cutoff);
    assert.deepEqual(
      [points.waiting.state, points.waiting.segments],
      ['ok', 0],
      'a purged segment is no gap',
    );

    for (const [mailboxId, ids] of deletedBeforeCutoff())
      for (const id of ids)
        assert.deepEqual(await history(mailboxId, id), [], `mailbox ${mailboxId} item ${id} is gone now`);
    const t = sim.commitTimes().filter((x) => x >= cutoff)[5] as number;
    const created = await client.request<Operation>('POST', '/operations', {
      kind: 'restore',
      params: { mode: 'point-in-time', all: true, at: t, chunkItems: 50 },
    });
    const op = await finished(created.id);
    assert.equal(op.state, 'succeeded', op.error);
    const bundle = await openBundle(
      s3BundleSource(cloud.clients.s3, bucket, op.id),
      op.result?.sha256 as string,
    );
    assert.deepEqual(await snapshotOfBundle(bundle), comparableSnapshot(sim.truthAt(t)));

    // What the purges left is coherent: nothing missing, nothing orphaned, every digest right.
    const checked = await offsite(
      ['ops', 'start', 'coherency', '--params', '{"readData":true,"orphanGraceHours":0}', '--wait', '--json'],
      env(),
    );
    const coherency = JSON.parse(checked.stdout) as Operation;
    assert.equal(coherency.state, 'succeeded', coherency.error);
    assert.equal(coherency.result?.problems, 0);
  });

  it('a lost index after the purge comes back from the bucket: the reindex starts from the base snapshots the purge wrote where it cut the redo', async () => {
    const scans = await useLocalIndex(cloud).send(
      new QueryCommand({
        TableName: indexTable(cloud),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :scan)',
        ExpressionAttributeValues: { ':pk': indexKeys.server(serverId), ':scan': 'SCAN#' },
        ConsistentRead: true,
      }),
    );
    const bases = (scans.Items ?? []).filter((s) => s.scanKind === 'base');
    const live = Object.keys(sim.truthAt(Date.parse(bases[0]?.takenAt as string)).mailboxes);
    assert.ok(bases.length > 0, 'the purge that cut the redo wrote base snapshots');
    assert.deepEqual(new Set(bases.map((b) => b.scanId)).size, 1, 'all for the one cut');
    assert.deepEqual(bases.map((b) => String(b.mailboxId)).sort(), live.sort(), 'one per mailbox there');

    await deleteEveryItem(useLocalIndex(cloud), indexTable(cloud));
    const out = await offsite(['backup', 'reindex', '--server', serverId, '--wait', '--json'], env());
    assert.equal(out.code, 0, `${out.stderr}\n${out.stdout}`);
    const op = JSON.parse(out.stdout) as Operation;
    assert.equal(op.state, 'succeeded', op.error);
    const summary = ((op.result?.servers ?? {}) as Record<string, { summary: Record<string, unknown> }>)[
      serverId
    ]?.summary;
    assert.equal(summary?.base, cutOfBaseScanId(bases[0]?.scanId as string), JSON.stringify(summary));
    // Every instant from the cutoff on restores as the ground truth had it, from the bucket alone.
    const times = sim.commitTimes().filter((t) => t >= cutoff);
    for (const t of randomInstants(times, 4, seededRandom(11))) {
      const created = await client.request<Operation>('POST', '/operations', {
        kind: 'restore',
        params: { mode: 'point-in-time', all: true, at: t, chunkItems: 50 },
      });
      const restored = await finished(created.id);
      assert.equal(restored.state, 'succeeded', restored.error);
      const bundle = await openBundle(
        s3BundleSource(cloud.clients.s3, bucket, restored.id),
        restored.result?.sha256 as string,
      );
      assert.deepEqual(
        await snapshotOfBundle(bundle),
        comparableSnapshot(sim.truthAt(t)),
        `restore at ${new Date(t).toISOString()} after the reindex`,
      );
    }
  });
});
