// fauxqs only: restores and the agent daemon need fauxqs' SQS speed.
// A segment is lost between the agent and the catalog: indexing stands at the gap, the operator bridges it
// (`offsite backup bridge`), and the nightly smart scan (the EventBridge rule → control API operation → the
// running agent claims it) restates every mailbox of the server and reports exactly what it fixed.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { loadAgentConfig } from '#agent/config/agent-config.ts';
import type { ControlClient } from '#agent/control-client.ts';
import { memoryLog } from '#agent/observability.ts';
import { s3BundleSource } from '#agent/restore/bundle-source.ts';
import { openBundle } from '#agent/restore/open-bundle.ts';
import type { ScanReport } from '#agent/scan/run-scan.ts';
import { Shipper } from '#agent/ship/shipper.ts';
import type { RestorePoints, ScanRow } from '#core/control-api.ts';
import type { MailboxState } from '#core/mail-snapshot.ts';
import type { Operation } from '#core/operation.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { MailboxDatabase } from '#local/mail-host/mailbox-database.ts';
import { type RunningMariaDb, startMariaDb } from '#local/mail-host/mariadb-server.ts';
import { eventually, operationEnded, startTestCloud } from '#test/integration/harness.ts';
import {
  mailboxDbConfig,
  offsite,
  type RunningAgent,
  startAgent,
  writeAgentConfig,
} from '#test/support/agent-cli.ts';
import { comparableSnapshot, snapshotOfBundle } from '#test/support/bundle-state.ts';
import { readIndexCursor, useLocalIndex, waitForIndexed } from '#test/support/index-checks.ts';
import { localControl } from '#test/support/local-control.ts';

const serverId = 'srv-repair';
type Comparable = Omit<MailboxState, 'renamedTo'>;

/** The SQS client of an agent whose announcement of one segment never arrives (it thinks it did). */
function losingSqs(real: SQSClient, lose: (body: { type: string; key?: string }) => boolean): SQSClient {
  return {
    send: (command: unknown) => {
      if (command instanceof SendMessageBatchCommand) {
        const entries = command.input.Entries ?? [];
        const kept = entries.filter(
          (e) => !lose(JSON.parse(e.MessageBody ?? '{}') as { type: string; key?: string }),
        );
        const lost = entries.filter((e) => !kept.includes(e)).map((e) => ({ Id: e.Id, MessageId: 'lost' }));
        if (kept.length === 0) return Promise.resolve({ Successful: lost, Failed: [] });
        return real
          .send(new SendMessageBatchCommand({ ...command.input, Entries: kept }))
          .then((out) => ({ ...out, Successful: [...(out.Successful ?? []), ...lost] }));
      }
      return real.send(command as SendMessageBatchCommand);
    },
  } as unknown as SQSClient;
}

/** What a scan must fix in one mailbox: the keys the damaged index lacks, has wrong, or still holds. */
function expectedFixes(damaged: Comparable | undefined, truth: Comparable) {
  const entries = (m: Comparable | undefined) =>
    new Map<string, unknown>([
      ...Object.entries(m?.folders ?? {}).map(([id, v]) => [`item:${id}`, v] as const),
      ...Object.entries(m?.messages ?? {}).map(([id, v]) => [`item:${id}`, v] as const),
      ...Object.entries(m?.contacts ?? {}).map(([id, v]) => [`item:${id}`, v] as const),
      ...Object.entries(m?.calendar ?? {}).map(([id, v]) => [`item:${id}`, v] as const),
      ...Object.entries(m?.documents ?? {}).map(([id, v]) => [`item:${id}`, v] as const),
      ...Object.entries(m?.tags ?? {}).map(([name, v]) => [`tag:${name}`, v] as const),
      ...Object.entries(m?.config ?? {}).map(([section, v]) => [`config:${section}`, v] as const),
    ]);
  // A restore files items of a folder the index never saw under a placeholder: not in the index, so added.
  const had = new Map(
    [...entries(damaged)].filter(([, v]) => !/^lost-folder-\d+$/.test((v as { name?: string }).name ?? '')),
  );
  const want = entries(truth);
  const added = [...want.keys()].filter((k) => !had.has(k));
  const deleted = [...had.keys()].filter((k) => !want.has(k));
  const changed = [...want.keys()].filter((k) => had.has(k) && !isDeepStrictEqual(had.get(k), want.get(k)));
  return { added: added.sort(), changed: changed.sort(), deleted: deleted.sort() };
}

describe('a lost segment, bridged by the operator and repaired by the nightly smart scan', () => {
  let cloud: LocalCloud;
  let mariadb: RunningMariaDb;
  let database: MailboxDatabase;
  let sim: MailHostSimulator;
  let client: ControlClient;
  let bucket: string;
  let configFile: string;
  let agent: RunningAgent | undefined;
  let lostKey: string | undefined;
  const work = mkdtempSync(join(tmpdir(), 'offsite-repair-'));
  const env = () => ({ OFFSITE_CONTROL_URL: cloud.outputs.ControlUrl as string });

  const operation = (id: string, timeoutMs: number) => operationEnded(client, id, timeoutMs);
  async function restoreLatest(): Promise<Record<string, Comparable>> {
    const created = await client.request<Operation>('POST', '/operations', {
      kind: 'restore',
      params: { mode: 'point-in-time', all: true, at: sim.time() + 1, chunkItems: 50 },
    });
    const op = await operation(created.id, 120_000);
    assert.equal(op.state, 'succeeded', op.error);
    return snapshotOfBundle(
      await openBundle(s3BundleSource(cloud.clients.s3, bucket, op.id), op.result?.sha256 as string),
    );
  }
  async function restorePoints(): Promise<RestorePoints> {
    const out = await offsite(['backup', 'list', '--server', serverId, '--json'], env());
    assert.equal(out.code, 0, out.stderr);
    return (JSON.parse(out.stdout) as RestorePoints[])[0] as RestorePoints;
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
      seed: 43,
      accounts: 4,
      deleteOnRollover: true,
      rolloverBytes: 64 * 1024 * 1024,
      tickMaxMs: 60_000,
    });
    sim.run(120);
    sim.rollover();
    await database.mirror(sim);
    configFile = writeAgentConfig(join(work, 'agent.json'), cloud, {
      serverId,
      zimbraHome: sim.hostDir,
      stateDir: join(work, 'state'),
      segment: { maxMiB: 16 / 1024, maxAgeSeconds: 1 },
      pollMs: 50,
      metrics: { enabled: false },
      control: { url: cloud.outputs.AgentControlUrl as string, pollSeconds: 0.2 },
      mailboxDb: mailboxDbConfig(work, mariadb),
      scan: { volumes: { '1': sim.volumePath } },
    });
    // The agent's first hours (the scan's mailbox versions take the stream's clock from them).
    sim.run(30);
    await database.mirror(sim);
    const full = await offsite(['scan', 'full', '--all', '--config', configFile, '--json']);
    assert.equal(full.code, 0, full.stderr);
    await waitForIndexed(cloud, serverId, 120_000);

    // The agent ships what follows, but one segment's announcement is lost on the way and its object with it.
    sim.run(150);
    await database.mirror(sim);
    let segments = 0;
    const shipper = await Shipper.open({
      config: loadAgentConfig(configFile),
      s3: cloud.clients.s3,
      sqs: losingSqs(cloud.clients.sqs, (body) => {
        if (body.type !== 'redo-segment' || lostKey) return false;
        if (++segments < 3) return false;
        lostKey = body.key;
        return true;
      }),
      log: memoryLog(),
    });
    await shipper.shipOnce();
    assert.ok(lostKey, 'a segment was lost');
    await cloud.clients.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: lostKey }));
  });
  after(async () => {
    await agent?.kill('SIGTERM');
    await database?.close();
    await Promise.all([cloud?.stop(), mariadb?.stop()]);
    rmSync(work, { recursive: true, force: true });
  });

  it('indexing stands at the gap, and bridging it needs the operator to accept the loss', async () => {
    const cursor = await eventually(
      async () => {
        const c = await readIndexCursor(cloud, serverId);
        return c?.state === 'gap' ? c : undefined;
      },
      60_000,
      'the indexer to stop at the gap',
    );
    const points = await restorePoints();
    assert.equal(points.waiting.state, 'gap');
    assert.deepEqual(points.waiting.at, { seq: cursor.seq, offset: cursor.offset });
    assert.ok(points.waiting.segments > 0, 'later segments wait');

    const refused = await offsite(['backup', 'bridge', '--server', serverId], env());
    assert.equal(refused.code, 2, 'refused as a usage error');
    assert.match(refused.stderr, /--accept-loss/);
    assert.equal((await readIndexCursor(cloud, serverId))?.state, 'gap', 'nothing was bridged');

    const bridged = await offsite(
      ['backup', 'bridge', '--server', serverId, '--accept-loss', '--json'],
      env(),
    );
    assert.equal(bridged.code, 0, bridged.stderr);
    const { bridge } = JSON.parse(bridged.stdout) as { bridge: RestorePoints['bridges'][number] };
    // Every mailbox live in the index at the gap waits for a scan (the listing leaves out one that indexing,
    // going on past the bridge meanwhile, has seen deleted: it needs no scan).
    assert.ok(bridge.mailboxes > 0);
    assert.ok(
      bridge.unscanned.length > 0 && bridge.unscanned.length <= bridge.mailboxes,
      JSON.stringify(bridge),
    );
    await waitForIndexed(cloud, serverId, 120_000);

    const again = await offsite(['backup', 'bridge', '--server', serverId, '--accept-loss'], env());
    assert.equal(again.code, 2, 'no gap any more');
    assert.match(again.stderr, /not held at a gap/);
  });

  it('the nightly smart scan, claimed by the running agent, verifies every mailbox and fixes exactly what the lost redo did', async () => {
    const truth = comparableSnapshot(sim.current());
    const damaged = await restoreLatest();
    assert.notDeepEqual(damaged, truth, 'the lost segment shows in a restore');
    const expected = Object.fromEntries(
      Object.entries(truth).map(([id, m]) => [id, expectedFixes(damaged[id], m)]),
    );

    agent = startAgent(configFile);
    const firings = await cloud.schedules.fireNamed('Offsite-smartscan');
    assert.ok(
      firings.every((f) => f.ok),
      JSON.stringify(firings),
    );
    const listed = await client.request<{ operations: Operation[] }>('GET', '/operations?state=running');
    const created = await eventually(
      async () => {
        for (const state of ['running', 'succeeded', 'failed'])
          for (const op of (
            await client.request<{ operations: Operation[] }>('GET', `/operations?state=${state}`)
          ).operations)
            if (op.kind === 'smartscan' && op.source === 'schedule') return op;
        return undefined;
      },
      30_000,
      'the scheduled smart scan operation',
    );
    assert.ok(listed);
    const op = await operation(created.id, 180_000);
    assert.equal(op.state, 'succeeded', `${op.error}\n${agent.log().slice(-3000)}`);
    assert.equal(op.total, 1, 'one server');
    const report = (
      (op.result?.servers ?? {}) as Record<
        string,
        { summary: Pick<ScanReport, 'scanId' | 'mailboxes' | 'problemCount'> }
      >
    )[serverId];
    assert.ok(report, JSON.stringify(op.result));
    // Nothing changed on the server since the full scan's last look at some mailboxes, yet all are read:
    // the bridge makes the smart scan verify.
    assert.equal(report.summary.mailboxes.scanned, Object.keys(truth).length);
    const gone = Object.keys(damaged).filter((id) => !(id in truth));
    // Every mailbox the index still holds that the server lost is scanned as absent; the scan may also find
    // gone some the index already saw deleted (their snapshot then changes nothing).
    assert.ok(
      report.summary.mailboxes.vanished >= gone.length,
      `mailboxes deleted since the full scan: ${gone.join()} ${JSON.stringify(report.summary.mailboxes)}`,
    );
    const snapshots = report.summary.mailboxes.scanned + report.summary.mailboxes.vanished;
    assert.equal(report.summary.problemCount, 0);

    const shown = await eventually(
      async () => {
        const out = await offsite(
          ['scans', '--server', serverId, '--scan', report.summary.scanId, '--json'],
          env(),
        );
        assert.equal(out.code, 0, out.stderr);
        const rows = (JSON.parse(out.stdout) as { scans: ScanRow[] }).scans;
        return rows.length === snapshots && rows.every((r) => r.state === 'applied') ? rows : undefined;
      },
      60_000,
      'the smart scan to be applied',
    );
    let fixes = 0;
    for (const row of shown) {
      // A mailbox the server no longer has: its snapshot says it is absent (a change if the index held it).
      const want = expected[String(row.mailboxId)] ?? {
        added: [],
        changed: [],
        deleted: String(row.mailboxId) in damaged ? ['mailbox'] : [],
      };
      const changes = row.changes as { added: number; changed: number; deleted: number };
      const details = row.details ?? [];
      const keys = (kind: string) =>
        details
          .filter((d) => d.change === kind)
          .map((d) => d.key)
          .sort();
      assert.deepEqual(
        { added: keys('added'), changed: keys('changed'), deleted: keys('deleted') },
        want,
        `mailbox ${row.mailboxId}`,
      );
      assert.deepEqual(
        [changes.added, changes.changed, changes.deleted],
        [want.added.length, want.changed.length, want.deleted.length],
      );
      fixes += want.added.length + want.changed.length + want.deleted.length;
    }
    assert.ok(fixes > 0, 'the scan fixed something');
    assert.deepEqual(await restoreLatest(), truth, 'repaired');
    const points = await restorePoints();
    assert.equal(points.bridges.length, 1);
    assert.deepEqual(points.bridges[0]?.unscanned, [], 'every mailbox rescanned since the bridge');
  });

  it('offsite backup reindex rebuilds the index from the bucket, across the bridged gap, to the same restore', async () => {
    const truth = comparableSnapshot(sim.current());
    const listed = await offsite(['scans', '--server', serverId, '--json'], env());
    assert.equal(listed.code, 0, listed.stderr);
    const applied = (JSON.parse(listed.stdout) as { scans: ScanRow[] }).scans.filter(
      (r) => r.state === 'applied',
    );
    const refused = await offsite(
      ['backup', 'reindex', '--server', serverId, '--server', 'x', '--from', '3'],
      env(),
    );
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /exactly one server/);

    const out = await offsite(['backup', 'reindex', '--server', serverId, '--wait', '--json'], env());
    assert.equal(out.code, 0, `${out.stderr}\n${out.stdout}`);
    const op = JSON.parse(out.stdout) as Operation;
    assert.equal(op.state, 'succeeded', op.error);
    const summary = ((op.result?.servers ?? {}) as Record<string, { summary: Record<string, number> }>)[
      serverId
    ]?.summary;
    assert.ok((summary?.wiped ?? 0) > 0, JSON.stringify(op.result));
    // The full scan's snapshots and the smart scan's, each applied again in its place in the stream.
    assert.equal(summary?.scansApplied, applied.length, JSON.stringify(summary));
    assert.ok(applied.length > Object.keys(truth).length, 'the full and the smart scan');
    const points = await restorePoints();
    assert.equal(points.waiting.state, 'ok');
    assert.equal(points.bridges.length, 1, 'the bridge was crossed, not bridged again');
    assert.deepEqual(await restoreLatest(), truth, 'the same restore as before the reindex');
  });

  it('a smart scan operation with parameters that do not fit is refused with 400, and a stopped one is not run', async () => {
    await assert.rejects(
      client.request('POST', '/operations', { kind: 'smartscan', params: { verify: 'yes' } }),
      /400[\s\S]*verify/,
    );
    const created = await client.request<Operation>('POST', '/operations', {
      kind: 'smartscan',
      params: { servers: ['no-such-server'] },
    });
    // The agent API serves a server's dispatches and nothing an operator does.
    const agentApi = localControl(cloud, 'AgentControlUrl');
    await assert.rejects(
      agentApi.request('POST', '/operations', { kind: 'smartscan', params: {} }),
      /404[\s\S]*no route for POST \/operations in the agent API/,
    );
    for (const path of ['/operations', `/operations/${created.id}`, '/servers', '/retention'])
      await assert.rejects(agentApi.request('GET', path), /404/, path);
    await assert.rejects(agentApi.request('POST', `/operations/${created.id}/stop`), /404/);
    // No agent claims for that server; stopping it ends it, and it is never run.
    await eventually(
      async () =>
        (await client.request<Operation>('GET', `/operations/${created.id}`)).state === 'running'
          ? true
          : undefined,
      30_000,
      'the operation to be dispatched',
    );
    const stopped = await client.request<Operation>('POST', `/operations/${created.id}/stop`);
    assert.equal(stopped.state, 'stopped');
    await assert.rejects(
      client.request('POST', `/servers/no-such-server/dispatches/${created.id}/claim`),
      /409[\s\S]*stopped/,
    );
    const left = await agentApi.request<{ dispatches: unknown[] }>(
      'GET',
      '/servers/no-such-server/dispatches',
    );
    assert.deepEqual(left.dispatches, [], 'the stopped dispatch is dropped');
    const seen = await agentApi.request<Record<string, unknown>>(
      'GET',
      `/servers/no-such-server/dispatches/${created.id}`,
    );
    assert.deepEqual(Object.keys(seen).sort(), ['id', 'kind', 'state', 'updatedAt']);
    assert.equal(seen.state, 'stopped');
  });
});
