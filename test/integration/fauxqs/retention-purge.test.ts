// fauxqs only: restores and a scan against a real MariaDB shaped like Zimbra's.
// A server's retention purge writes PurgeOldMessages with no ids: the index must not guess what went (a guess
// drops mail the server still holds when an account's lifetime is longer than the default). It keeps
// everything, reports the mailbox uncertain from the purge, and the next smart scan restates it exactly.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ControlClient } from '#agent/control-client.ts';
import { s3BundleSource } from '#agent/restore/bundle-source.ts';
import { type OpenBundle, openBundle } from '#agent/restore/open-bundle.ts';
import type { ScanReport } from '#agent/scan/run-scan.ts';
import type { RestorePoints } from '#core/control-api.ts';
import { FOLDER_ID } from '#core/mail-item.ts';
import type { MailboxState } from '#core/mail-snapshot.ts';
import type { Operation } from '#core/operation.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator, TRASH_LIFETIME_MS } from '#local/mail-host/mail-host-simulator.ts';
import { MailboxDatabase } from '#local/mail-host/mailbox-database.ts';
import { type RunningMariaDb, startMariaDb } from '#local/mail-host/mariadb-server.ts';
import { eventually, operationEnded, startTestCloud } from '#test/integration/harness.ts';
import { mailboxDbConfig, offsite, writeAgentConfig } from '#test/support/agent-cli.ts';
import { comparableSnapshot, snapshotOfBundle } from '#test/support/bundle-state.ts';
import { waitForIndexed } from '#test/support/index-checks.ts';
import { localControl } from '#test/support/local-control.ts';
import { shipAndIndex } from '#test/support/ship-and-index.ts';

const serverId = 'srv-purge-retention';

describe('a retention purge (PurgeOldMessages carries no ids)', () => {
  let cloud: LocalCloud;
  let mariadb: RunningMariaDb;
  let database: MailboxDatabase;
  let sim: MailHostSimulator;
  let client: ControlClient;
  let configFile: string;
  /** The purges that removed something (the loop stops at the first; a random pick can make several). */
  let purges: MailHostSimulator['purged'];
  const work = mkdtempSync(join(tmpdir(), 'offsite-retention-'));

  async function restoreAt(at: number): Promise<OpenBundle> {
    const created = await client.request<Operation>('POST', '/operations', {
      kind: 'restore',
      params: { mode: 'point-in-time', all: true, at, chunkItems: 50 },
    });
    const op = await operationEnded(client, created.id, 120_000, `restore ${created.id} to finish`);
    assert.equal(op.state, 'succeeded', op.error);
    return openBundle(
      s3BundleSource(cloud.clients.s3, cloud.outputs.BackupBucketName as string, op.id),
      op.result?.sha256 as string,
    );
  }
  const uncertainOps = (bundle: OpenBundle, mailboxId: number) =>
    bundle.accounts.find((a) => a.account.mailboxId === mailboxId)?.uncertain.map((u) => u.op) ?? [];

  before(async () => {
    [cloud, mariadb] = await Promise.all([
      startTestCloud(),
      startMariaDb({ workDir: join(work, 'mariadb') }),
    ]);
    client = localControl(cloud);
    database = await MailboxDatabase.open(mariadb.admin);
    sim = new MailHostSimulator({ hostDir: join(work, 'host'), seed: 23, accounts: 3, tickMaxMs: 60_000 });
    configFile = writeAgentConfig(join(work, 'agent.json'), cloud, {
      serverId,
      zimbraHome: sim.hostDir,
      stateDir: join(work, 'state'),
      segment: { maxMiB: 48 / 1024, maxAgeSeconds: 1 },
      pollMs: 50,
      metrics: { enabled: false },
      mailboxDb: mailboxDbConfig(work, mariadb),
      scan: { volumes: { '1': sim.volumePath } },
    });
    sim.run(120);
    for (let i = 0; i < 6; i++) sim.act('trash');
    // A month passes: what went to Trash is older than the default lifetime now.
    sim.idle(TRASH_LIFETIME_MS + 86_400_000);
    for (let i = 0; i < 50 && !sim.purged.some((p) => p.ids.length > 0); i++) sim.act('purge-old');
    assert.ok(
      sim.purged.some((p) => p.ids.length > 0),
      'a purge removed messages from Trash',
    );
    // Life goes on after the purge (nothing that empties Trash: that would take the leftovers in the index too).
    for (const action of [
      'deliver',
      'deliver',
      'flag',
      'create-folder',
      'create-contact',
      'deliver',
    ] as const)
      sim.act(action);
    sim.close();
    purges = sim.purged.filter((p) => p.ids.length > 0);
    await database.mirror(sim);
    await shipAndIndex(cloud, configFile, serverId, 240_000);
  });
  after(async () => {
    await database?.close();
    await Promise.all([cloud?.stop(), mariadb?.stop()]);
    rmSync(work, { recursive: true, force: true });
  });

  it('keeps what the purge may have removed, and says from when the mailbox is uncertain and why', async () => {
    const first = purges[0] as (typeof purges)[number];
    const purgedAt = first.time;
    const beforePurge = await restoreAt(purgedAt - 1);
    assert.deepEqual(await snapshotOfBundle(beforePurge), comparableSnapshot(sim.truthAt(purgedAt - 1)));
    assert.deepEqual(uncertainOps(beforePurge, first.mailboxId), []);

    const latest = await restoreAt(sim.time() + 1);
    const restored = (await snapshotOfBundle(latest)) as Record<string, MailboxState>;
    const truth = comparableSnapshot(sim.current()) as Record<string, MailboxState>;
    const purgedIn = new Map<string, number[]>();
    for (const p of purges)
      purgedIn.set(String(p.mailboxId), [...(purgedIn.get(String(p.mailboxId)) ?? []), ...p.ids]);
    // Every other mailbox exactly; a purged one with its purged messages still in Trash, nothing else different.
    for (const id of Object.keys(truth)) {
      const ids = purgedIn.get(id);
      if (!ids) {
        assert.deepEqual(restored[id], truth[id]);
        assert.deepEqual(uncertainOps(latest, Number(id)), []);
        continue;
      }
      const kept = Object.keys(restored[id]?.messages ?? {}).filter(
        (m) => !(m in (truth[id]?.messages ?? {})),
      );
      assert.deepEqual(kept.map(Number).sort(), [...ids].sort());
      for (const m of kept) {
        assert.equal(restored[id]?.messages[m]?.folderId, FOLDER_ID.trash);
        delete restored[id]?.messages[m];
      }
      assert.deepEqual(restored[id], truth[id], 'nothing else differs');
      const notes = latest.accounts.find((a) => a.account.mailboxId === Number(id))?.uncertain ?? [];
      assert.ok(notes.length > 0 && notes.every((n) => n.op === 'PurgeOldMessages'), JSON.stringify(notes));
      assert.match(notes[0]?.reason ?? '', /retention purge, with \d+ items? in Trash or Junk/);
    }

    // What the operator sees: counted apart from records that did not decode.
    const listed = await offsite(['backup', 'list', '--server', serverId, '--json'], {
      OFFSITE_CONTROL_URL: cloud.outputs.ControlUrl as string,
    });
    assert.equal(listed.code, 0, listed.stderr);
    const [points] = JSON.parse(listed.stdout) as RestorePoints[];
    assert.deepEqual(points?.undecoded.records, []);
    assert.deepEqual(
      [...new Set(points?.resultNotRecorded.records.map((r) => r.mailboxId))].sort(),
      [...purgedIn.keys()].map(Number).sort(),
    );
    assert.ok(points?.resultNotRecorded.records.every((r) => r.op === 'PurgeOldMessages'));
  });

  it('the next smart scan restates the mailbox: a restore after it equals the server, and certain', async () => {
    const out = await offsite(['scan', 'smart', '--all', '--config', configFile, '--json']);
    assert.equal(out.code, 0, out.stderr);
    const report = JSON.parse(out.stdout) as ScanReport;
    assert.ok(report.mailboxes.scanned >= 1);
    await waitForIndexed(cloud, serverId, 120_000);
    const scanned = await eventually(
      async () => {
        const bundle = await restoreAt(sim.time() + 1);
        return purges.every((p) => uncertainOps(bundle, p.mailboxId).length === 0) ? bundle : undefined;
      },
      120_000,
      'the scan to restate the purged mailbox',
    );
    assert.deepEqual(await snapshotOfBundle(scanned), comparableSnapshot(sim.current()));
  });
});
