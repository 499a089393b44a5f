// fauxqs only: many restores need fauxqs' SQS speed.
// A server with years of mail before the agent: the simulator's history goes to a real MariaDB shaped like
// Zimbra's and to the blob store, its redo log is rolled over and deleted (the open-source default), then
// the agent starts. A full scan (the CLI, as an admin runs it) makes every later instant restorable exactly
// as the ground truth had it, with every blob stored once.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DeleteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import mariadbClient from 'mariadb';
import type { ControlClient } from '#agent/control-client.ts';
import { s3BundleSource } from '#agent/restore/bundle-source.ts';
import { openBundle } from '#agent/restore/open-bundle.ts';
import type { ScanReport } from '#agent/scan/run-scan.ts';
import { ScanLedger } from '#agent/scan/scan-ledger.ts';
import type { ScanRow } from '#core/control-api.ts';
import { FLAG, ITEM_TYPE } from '#core/mail-item.ts';
import type { MailboxState } from '#core/mail-snapshot.ts';
import type { Operation } from '#core/operation.ts';
import { mailboxGroupDatabase } from '#core/scan/mailbox-group.ts';
import { seededRandom } from '#core/seeded-random.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { MailboxDatabase } from '#local/mail-host/mailbox-database.ts';
import { type RunningMariaDb, startMariaDb } from '#local/mail-host/mariadb-server.ts';
import { eventually, operationEnded, startTestCloud } from '#test/integration/harness.ts';
import {
  LOCAL_AWS_ENV,
  mailboxDbConfig,
  OFFSITE_CLI,
  offsite,
  writeAgentConfig,
} from '#test/support/agent-cli.ts';
import { comparableSnapshot, snapshotOfBundle } from '#test/support/bundle-state.ts';
import { forceActions, RARE_ACTIONS } from '#test/support/forced-actions.ts';
import { indexTable, useLocalIndex, waitForIndexed } from '#test/support/index-checks.ts';
import { localControl } from '#test/support/local-control.ts';
import { storedBodies } from '#test/support/packed-bodies.ts';
import { randomInstants } from '#test/support/random-instants.ts';
import { shipAndIndex } from '#test/support/ship-and-index.ts';

const serverId = 'srv-scan';

describe('full scan of a server with mail from before the agent', () => {
  let cloud: LocalCloud;
  let mariadb: RunningMariaDb;
  let database: MailboxDatabase;
  let sim: MailHostSimulator;
  let client: ControlClient;
  let bucket: string;
  let configFile: string;
  let scanTime: number;
  let report: ScanReport;
  const work = mkdtempSync(join(tmpdir(), 'offsite-scan-'));

  async function scan(...args: string[]): Promise<ScanReport> {
    const out = await offsite(['scan', ...args, '--config', configFile, '--json']);
    assert.equal(out.code, 0, `offsite scan ${args.join(' ')}: ${out.stderr}`);
    return JSON.parse(out.stdout) as ScanReport;
  }
  async function restore(params: Record<string, unknown>): Promise<Operation> {
    const op = await client.request<Operation>('POST', '/operations', { kind: 'restore', params });
    return operationEnded(client, op.id, 120_000, `restore ${op.id} to finish`);
  }
  async function catalogItems(prefix: string): Promise<Record<string, unknown>[]> {
    const out = await useLocalIndex(cloud).send(
      new QueryCommand({
        TableName: indexTable(cloud),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': `SRV#${serverId}`, ':p': prefix },
        ConsistentRead: true,
      }),
    );
    return out.Items ?? [];
  }
  async function scanItems(): Promise<Record<string, unknown>[]> {
    const out = await useLocalIndex(cloud).send(
      new QueryCommand({
        TableName: indexTable(cloud),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :scan)',
        ExpressionAttributeValues: { ':pk': `SRV#${serverId}`, ':scan': 'SCAN#' },
        ConsistentRead: true,
      }),
    );
    return out.Items ?? [];
  }

  before(async () => {
    [cloud, mariadb] = await Promise.all([
      startTestCloud(),
      startMariaDb({ workDir: join(work, 'mariadb') }),
    ]);
    useLocalIndex(cloud);
    bucket = cloud.outputs.BackupBucketName as string;
    client = localControl(cloud);
    database = await MailboxDatabase.open(mariadb.admin);
    sim = new MailHostSimulator({
      hostDir: join(work, 'host'),
      seed: 41,
      accounts: 5,
      deleteOnRollover: true,
      // No rollover once the agent runs: with deletion on rollover, a file the agent has not read is lost.
      rolloverBytes: 64 * 1024 * 1024,
      tickMaxMs: 60_000,
    });
    // Years of mail, as far as the backup is concerned: the redo that carried it is gone.
    for (let i = 0; i < 4; i++) {
      sim.run(90);
      sim.rollover();
    }
    await database.mirror(sim);
    configFile = writeAgentConfig(join(work, 'agent.json'), cloud, {
      serverId,
      zimbraHome: sim.hostDir,
      stateDir: join(work, 'state'),
      segment: { maxMiB: 48 / 1024, maxAgeSeconds: 1 },
      pollMs: 50,
      metrics: { enabled: false },
      mailboxDb: mailboxDbConfig(work, mariadb),
      scan: { volumes: { '1': sim.volumePath } },
      // The agent API answers which bodies the store has, so a scan does not send them again.
      control: { url: cloud.outputs.AgentControlUrl },
    });
    // The agent's first days: it ships what happens, old mail is touched too (moves, deletes of it).
    sim.run(60);
    // Whatever the seed drew: a document with older revisions (the scan reads them from the revision table).
    const revised = () =>
      Object.values(sim.current().mailboxes).some((m) =>
        Object.values(m.documents).some((d) => d.revisions.length > 1),
      );
    for (let i = 0; i < 200 && !revised(); i++) sim.act(i % 4 === 0 ? 'save-document' : 'revise-document');
    assert.ok(revised(), 'a document with older revisions when the scan runs');
    // And shared, colored and subscribed folders, saved searches and mountpoints (read from their metadata).
    forceActions(sim, RARE_ACTIONS);
    await database.mirror(sim);
    scanTime = sim.time();
    const started = Date.now();
    report = await scan('full', '--all');
    process.stdout.write(`# full scan: ${Date.now() - started} ms, ${JSON.stringify(report.blobs)}\n`);
    // Life goes on after the scan.
    sim.run(200);
    // Whatever the seed deleted: more mailboxes than a scan reads at once (the kill below lands between them).
    for (let i = 0; i < 10 && Object.keys(sim.current().mailboxes).length < 4; i++) sim.act('create-account');
    sim.close();
    await database.mirror(sim);
    await shipAndIndex(cloud, configFile, serverId, 240_000);
  });
  after(async () => {
    await database?.close();
    await Promise.all([cloud?.stop(), mariadb?.stop()]);
    rmSync(work, { recursive: true, force: true });
  });

  it('scans every mailbox and stores each distinct blob once', async () => {
    const truth = sim.truthAt(scanTime);
    const mailboxes = Object.keys(truth.mailboxes).length;
    assert.equal(report.mailboxes.scanned, mailboxes);
    assert.equal(report.problemCount, 0, JSON.stringify(report.problems));
    const messages = Object.values(truth.mailboxes).flatMap((m) => Object.values(m.messages));
    assert.equal(report.items.messages, messages.length);
    const distinct = new Set(messages.map((m) => m.sha256));
    assert.ok(distinct.size < messages.length, 'the workload shares messages between mailboxes');
    const revisions = Object.values(truth.mailboxes).flatMap((m) =>
      Object.values(m.documents).flatMap((d) => d.revisions),
    );
    const documents = Object.values(truth.mailboxes).flatMap((m) => Object.keys(m.documents)).length;
    assert.equal(report.items.documents, documents);
    const notes = Object.values(truth.mailboxes).flatMap((m) => Object.values(m.notes ?? {}));
    assert.equal(report.items.notes, notes.length);
    assert.ok(
      notes.some((n) => n.type === 'note') && notes.some((n) => n.type === 'comment'),
      'notes and comments on documents when the scan runs',
    );
    assert.ok(
      revisions.length > documents,
      'some document has older revisions, read from the revision table',
    );
    // Blobs the redo stream carried since the agent started are stored by the indexer: present, not uploaded.
    assert.equal(
      report.blobs.uploaded + report.blobs.present + report.blobs.skipped,
      messages.length + report.items.contacts + revisions.length,
    );
    // The AWS CLI, an independent reader: every distinct body in a pack where the index reads it from,
    // whatever carried it (the redo stream or the scan's own packs, copied by the indexer).
    const stored = await storedBodies(cloud);
    for (const sha of [...distinct, ...revisions.map((r) => r.sha256)])
      assert.ok(stored.has(sha), `blob ${sha} is stored`);
    const scans = await scanItems();
    assert.equal(scans.length, mailboxes);
    for (const s of scans) assert.equal(s.state, 'applied', JSON.stringify(s));
    // The scan's own packs were taken in: every frame checked, what the store lacked copied.
    const packs = await catalogItems('BODYPACK#');
    assert.equal(packs.length, report.blobs.packs);
    for (const p of packs) assert.equal(p.state, 'applied', JSON.stringify(p));
    assert.equal(
      packs.reduce((n, p) => n + Number(p.bodies), 0),
      report.blobs.uploaded,
      'every body packed was announced',
    );
  });

  it("restores every account at 25 random instants after the scan exactly, once a purge took the scan's packs", async () => {
    // The agent's packs are inputs: once taken in, a purge removes them whatever the retention (none here).
    const created = await client.request<Operation>('POST', '/operations', { kind: 'purge', params: {} });
    const purge = await operationEnded(client, created.id, 120_000, 'the purge to finish');
    assert.equal(purge.state, 'succeeded', purge.error);
    assert.equal(purge.result?.bodyPacksPurged, report.blobs.packs);
    assert.equal(purge.result?.versionsPurged ?? 0, 0, 'nothing else: everything is retained');
    const left = await cloud.clients.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `servers/${serverId}/packs/` }),
    );
    assert.equal(left.KeyCount ?? 0, 0, "the agent's packs are gone from the bucket");
    const times = sim.commitTimes().filter((t) => t > scanTime);
    for (const t of randomInstants(times, 25, seededRandom(5))) {
      const op = await restore({ mode: 'point-in-time', all: true, at: t, chunkItems: 50 });
      assert.equal(op.state, 'succeeded', `restore at ${new Date(t).toISOString()}: ${op.error}`);
      assert.equal(op.result?.unrestored, 0);
      const bundle = await openBundle(
        s3BundleSource(cloud.clients.s3, bucket, op.id),
        op.result?.sha256 as string,
      );
      assert.deepEqual(
        await snapshotOfBundle(bundle),
        comparableSnapshot(sim.truthAt(t)),
        `bundle at ${new Date(t).toISOString()}`,
      );
    }
  });

  async function appliedScans(report: ScanReport): Promise<Record<string, unknown>[]> {
    return eventually(
      async () => {
        // A resumed scan keeps its id: its snapshots from before the interruption count too.
        const mine = (await scanItems()).filter((s) => s.scanId === report.scanId);
        return mine.length >= report.mailboxes.scanned && mine.every((s) => s.state === 'applied')
          ? mine
          : undefined;
      },
      60_000,
      `scan ${report.scanId} to be applied`,
    );
  }
  async function restoreLatest(): Promise<Record<string, unknown>> {
    const op = await restore({ mode: 'point-in-time', all: true, at: sim.time() + 1, chunkItems: 50 });
    assert.equal(op.state, 'succeeded', op.error);
    return snapshotOfBundle(
      await openBundle(s3BundleSource(cloud.clients.s3, bucket, op.id), op.result?.sha256 as string),
    );
  }

  it('a smart scan reads only the mailboxes that changed since the last scan, and none of their old blobs', async () => {
    const changed = Object.keys(sim.current().mailboxes).filter(
      (id) =>
        JSON.stringify(sim.truthAt(scanTime).mailboxes[id]) !== JSON.stringify(sim.current().mailboxes[id]),
    );
    assert.ok(changed.length > 0, 'the workload after the scan changed mailboxes');
    const smart = await scan('smart', '--all');
    assert.equal(smart.mailboxes.scanned, changed.length);
    assert.equal(smart.blobs.uploaded, 0, 'their new bodies came with the redo stream');
    for (const s of await appliedScans(smart)) {
      const changes = s.changes as { added: number; changed: number; deleted: number };
      assert.deepEqual(
        [changes.added, changes.changed, changes.deleted],
        [0, 0, 0],
        `the redo stream had it all: ${JSON.stringify(s.details)}`,
      );
    }
    const again = await scan('smart', '--all');
    assert.equal(again.mailboxes.scanned, 0);
  });

  it('a smart scan skips unchanged mailboxes; with --verify it repairs an index that lost item versions and reports exactly what it fixed', async () => {
    const truth = sim.current();
    const [mailboxId, mailbox] = Object.entries(truth.mailboxes).find(
      ([, m]) => Object.keys(m.messages).length >= 3,
    ) as [string, (typeof truth.mailboxes)[string]];
    const lost = Object.keys(mailbox.messages).slice(0, 3).map(Number);
    // The damage: every version of three messages is gone from the index.
    const table = indexTable(cloud);
    const dynamo = useLocalIndex(cloud);
    for (const id of lost) {
      const items = await dynamo.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :v)',
          FilterExpression: 'k = :k',
          ExpressionAttributeValues: {
            ':pk': `MBX#${serverId}#${mailboxId}`,
            ':v': 'V#',
            ':k': `item:${id}`,
          },
        }),
      );
      for (const item of [...(items.Items ?? []), { pk: `MBX#${serverId}#${mailboxId}`, sk: `H#item:${id}` }])
        await dynamo.send(new DeleteCommand({ TableName: table, Key: { pk: item.pk, sk: item.sk } }));
    }
    assert.notDeepEqual(await restoreLatest(), comparableSnapshot(truth), 'the damage shows in a restore');

    const quiet = await scan('smart', '--all');
    assert.equal(quiet.mailboxes.scanned, 0, 'nothing changed on the server since the last scan');
    assert.equal(quiet.mailboxes.unchanged, Object.keys(truth.mailboxes).length);
    assert.notDeepEqual(await restoreLatest(), comparableSnapshot(truth), 'an unchanged mailbox is not read');

    const verified = await scan('smart', '--all', '--verify');
    assert.equal(verified.mailboxes.scanned, Object.keys(truth.mailboxes).length);
    assert.equal(verified.blobs.uploaded, 0, 'a smart scan reads no blob older than the last scan');
    await appliedScans(verified);
    // What the operator sees: the scan's report from the control API, through the CLI.
    const shown = await offsite(['scans', '--server', serverId, '--scan', verified.scanId, '--json'], {
      OFFSITE_CONTROL_URL: cloud.outputs.ControlUrl as string,
    });
    assert.equal(shown.code, 0, shown.stderr);
    const rows = (JSON.parse(shown.stdout) as { scans: ScanRow[] }).scans;
    assert.equal(rows.length, verified.mailboxes.scanned);
    for (const s of rows) {
      const changes = s.changes as { added: number; changed: number; deleted: number };
      const details = s.details ?? [];
      if (String(s.mailboxId) === mailboxId) {
        assert.deepEqual([changes.added, changes.changed, changes.deleted], [3, 0, 0]);
        assert.deepEqual(details.map((d) => d.key).sort(), lost.map((id) => `item:${id}`).sort());
      } else assert.deepEqual([changes.added, changes.changed, changes.deleted], [0, 0, 0]);
    }
    assert.deepEqual(await restoreLatest(), comparableSnapshot(truth), 'repaired');
  });

  it('a smart scan sees a change the server left out of change_checkpoint (written only every 100 changes)', async () => {
    // What the server does for a flag set by a client while the redo that carried it is lost: the row gets
    // the next change id, the mailbox row is not written (size, counts and the hundreds did not move).
    const truth = sim.current();
    const [mailboxId, mailbox] = Object.entries(truth.mailboxes).find(
      ([, m]) => Object.keys(m.messages).length > 0,
    ) as [string, MailboxState];
    const [itemId, message] = Object.entries(mailbox.messages)[0] as [
      string,
      MailboxState['messages'][string],
    ];
    const group = mailboxGroupDatabase(Number(mailboxId));
    const db = await mariadbClient.createConnection(mariadb.admin);
    const checkpoint = async () =>
      (
        (await db.query('SELECT change_checkpoint FROM zimbra.mailbox WHERE id = ?', [mailboxId])) as {
          change_checkpoint: number;
        }[]
      )[0]?.change_checkpoint;
    const flip = async () => {
      const [top] = (await db.query(
        `SELECT MAX(mod_metadata) AS top FROM ${group}.mail_item WHERE mailbox_id = ?`,
        [mailboxId],
      )) as { top: number }[];
      await db.query(
        `UPDATE ${group}.mail_item SET flags = flags ^ ?, mod_metadata = ? WHERE mailbox_id = ? AND id = ?`,
        [FLAG.flagged, Number(top?.top) + 1, mailboxId, itemId],
      );
    };
    try {
      const before = await checkpoint();
      await flip();
      assert.equal(await checkpoint(), before, 'the mailbox row stays as it was');
      const seen = await scan('smart', '--all');
      assert.equal(seen.mailboxes.scanned, 1, 'the changed mailbox, and only it');
      const [applied] = await appliedScans(seen);
      assert.equal(String(applied?.mailboxId), mailboxId);
      assert.deepEqual(
        (applied?.details as { key: string }[] | undefined)?.map((d) => d.key),
        [`item:${itemId}`],
        'the flag the redo never carried',
      );
      const flagged = (await restoreLatest()) as Record<string, MailboxState>;
      assert.equal(flagged[mailboxId]?.messages[itemId]?.flags, message.flags ^ FLAG.flagged);
      // And back, so the server equals the ground truth again for the tests after this one.
      await flip();
      const back = await scan('smart', '--all');
      assert.equal(back.mailboxes.scanned, 1);
      await appliedScans(back);
      assert.deepEqual(await restoreLatest(), comparableSnapshot(truth));
    } finally {
      await db.end();
    }
  });

  it('a second full scan uploads nothing and changes nothing in the index', async () => {
    const again = await scan('full', '--all');
    assert.equal(again.blobs.uploaded, 0);
    assert.equal(again.problemCount, 0);
    await waitForIndexed(cloud, serverId, 120_000);
    for (const s of await appliedScans(again)) {
      const changes = s.changes as { added: number; changed: number; deleted: number };
      assert.deepEqual(
        [changes.added, changes.changed, changes.deleted],
        [0, 0, 0],
        `mailbox ${s.mailboxId}`,
      );
    }
  });

  it('a scan killed half-way resumes with the mailboxes it had left, and the backup stays exact', async () => {
    // The same agent, slowed down between mailboxes so the kill lands in the middle.
    const slow = join(work, 'agent-slow.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as { scan: Record<string, unknown> };
    writeFileSync(slow, JSON.stringify({ ...config, scan: { ...config.scan, pauseMs: 1500 } }));
    const child = spawn(
      process.execPath,
      [OFFSITE_CLI, 'scan', 'full', '--all', '--restart', '--config', slow],
      {
        env: LOCAL_AWS_ENV,
        stdio: 'ignore',
      },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const doneBefore = await eventually(
      async () => {
        const done = (await ScanLedger.peek(join(work, 'state'))).current?.done;
        return done && done.length >= 1 ? done.length : undefined;
      },
      60_000,
      'the first mailbox of the scan to be done',
    );
    child.kill('SIGKILL');
    await exited;
    const total = Object.keys(sim.current().mailboxes).length;
    assert.ok(doneBefore < total, `killed before the end (${doneBefore} of ${total} mailboxes done)`);
    const resumed = await scan('full', '--all');
    assert.equal(resumed.resumed, true);
    assert.ok(resumed.mailboxes.scanned <= total - doneBefore, 'only what was left');
    assert.equal(resumed.problemCount, 0);
    await appliedScans(resumed);
    assert.deepEqual(await restoreLatest(), comparableSnapshot(sim.current()));
  });
  it('reports items of types it does not read, counted by type, instead of skipping them silently', async () => {
    const account = sim.accounts.find((a) => !a.deleted && sim.current().mailboxes[a.mailboxId]);
    assert.ok(account);
    const group = mailboxGroupDatabase(account.mailboxId);
    const db = await mariadbClient.createConnection(mariadb.admin);
    const insert = (id: number, type: number, metadata: string | null = null) =>
      db.query(
        `INSERT INTO ${group}.mail_item (mailbox_id, id, type, folder_id, date, size, metadata, mod_metadata, mod_content)
         VALUES (?, ?, ?, 10, 0, 0, ?, 1, 1)`,
        [account.mailboxId, id, type, metadata],
      );
    try {
      await insert(90001, 98);
      await insert(90002, 98);
      await insert(90003, 99);
      // A note whose metadata does not decode: kept without its color and place, and reported.
      await insert(90005, ITEM_TYPE.note, 'd1:l');
      // An appointment whose metadata the server wrote cut short: kept as it is, and reported.
      await insert(90004, ITEM_TYPE.appointment, 'd1:u3:abc3:inv');
      const out = await offsite(['scan', 'full', '--all', '--config', configFile, '--json']);
      assert.equal(out.code, 1, 'a scan that leaves items out says so in its exit code');
      const report = JSON.parse(out.stdout) as ScanReport;
      assert.deepEqual(
        report.problems
          .filter((p) => p.problem === 'type-not-scanned')
          .map((p) => [p.mailboxId, p.detail.replace(/\).*/, ')')]),
        [
          [account.mailboxId, '2 unknown items (type 98)'],
          [account.mailboxId, '1 unknown item (type 99)'],
        ],
      );
      assert.deepEqual(
        report.problems.filter((p) => p.problem === 'bad-metadata').map((p) => [p.mailboxId, p.itemId]),
        [
          [account.mailboxId, 90004],
          [account.mailboxId, 90005],
        ],
      );
      await appliedScans(report);
      const bundle = await restoreLatest();
      const restored = bundle[String(account.mailboxId)] as Omit<MailboxState, 'renamedTo'> | undefined;
      assert.deepEqual(restored?.calendar['90004'], {
        type: 'appointment',
        folderId: 10,
        flags: 0,
        tags: [],
        uid: 'item-90004',
        invites: ['d1:u3:abc3:inv'],
      });
      assert.deepEqual(restored?.notes?.['90005'], {
        type: 'note',
        folderId: 10,
        flags: 0,
        tags: [],
        text: '',
        date: 0,
      });
    } finally {
      await db.query(`DELETE FROM ${group}.mail_item WHERE mailbox_id = ? AND id > 90000`, [
        account.mailboxId,
      ]);
      await db.end();
    }
  });
});
