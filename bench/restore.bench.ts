// Restore throughput on the local cloud (DynamoDB Local, fauxqs S3), medians of --runs:
//   1. building a bundle: one point-in-time restore of every account (planner → workers copying bodies from
//      the blob store, each checked → manifests), with 2, 8 and 20 concurrent workers (the stack's
//      `restoreWorkers`): messages/s and MB/s;
//   2. getting it out: `offsite restore download` (every digest checked) next to `aws s3 cp --recursive` of
//      the same prefix (no checks);
//   3. applying it: into a Maildir; into Dovecot over IMAP (APPEND with flags, 4 accounts at once and one at
//      a time) next to Dovecot's own `doveadm import` of that Maildir (server-side, no network); as Zimbra
//      import archives (every item kind, one per account) next to `tar -czf` of the Maildir; calendars into
//      Radicale over CalDAV. Then the time each would take for a 10 GB / 100,000-message mailbox.
// Usage: npm run bench:restore -- [--steps 3000] [--runs 3] [--workers 2,8,20]
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { parseAgentConfig } from '#agent/config/agent-config.ts';
import { ControlClient } from '#agent/control-client.ts';
import { memoryLog } from '#agent/observability.ts';
import { applyToTgz } from '#agent/restore/apply-archive.ts';
import { applyToDav } from '#agent/restore/apply-dav.ts';
import { applyToImap } from '#agent/restore/apply-imap.ts';
import { applyToMaildir } from '#agent/restore/apply-maildir.ts';
import { directoryBundleSource, s3BundleSource } from '#agent/restore/bundle-source.ts';
import { downloadBundle } from '#agent/restore/download-bundle.ts';
import { openBundle } from '#agent/restore/open-bundle.ts';
import { Shipper } from '#agent/ship/shipper.ts';
import { startBenchCloud } from '#bench/bench-helpers.ts';
import { fmt, median } from '#bench/stats.ts';
import type { Operation } from '#core/operation.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { eventually } from '#test/integration/harness.ts';
import { startDovecot } from '#test/support/dovecot.ts';
import { useLocalIndex, waitForIndexed } from '#test/support/index-checks.ts';
import { startRadicale } from '#test/support/radicale.ts';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '3000' },
    runs: { type: 'string', default: '3' },
    workers: { type: 'string', default: '2,8,20' },
  },
});
const runs = Number(values.runs);
const workerCounts = values.workers.split(',').map(Number);
const run = promisify(execFile);
const DOVEADM = '/usr/bin/doveadm';
const MB = 1_000_000;
const ENV = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_DEFAULT_REGION: 'us-east-1',
};
Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });

const work = mkdtempSync(join(tmpdir(), 'offsite-bench-restore-'));
const sim = new MailHostSimulator({ hostDir: join(work, 'host'), seed: 77, accounts: 6, tickMaxMs: 30_000 });
sim.run(Number(values.steps));
sim.close();
const truth = sim.current();
const messages = Object.values(truth.mailboxes).flatMap((m) => Object.values(m.messages));
const bytes = messages.reduce((sum, m) => sum + m.size, 0);
console.log(
  `workload: ${fmt(messages.length)} messages, ${fmt(bytes / MB, 1)} MB in ${Object.keys(truth.mailboxes).length} accounts`,
);

async function cloudWith(workers: number): Promise<{ cloud: LocalCloud; client: ControlClient }> {
  const cloud = await startBenchCloud('fauxqs', mkdtempSync(join(work, `cloud-${workers}-`)), {
    offsite: { restoreWorkers: workers },
  });
  const bucket = cloud.outputs.BackupBucketName as string;
  const shipper = await Shipper.open({
    config: parseAgentConfig({
      serverId: 'bench',
      zimbraHome: sim.hostDir,
      stateDir: mkdtempSync(join(work, 'state-')),
      aws: { region: 'us-east-1', bucket, ingestQueueUrl: cloud.outputs.IngestQueueUrl },
    }),
    s3: cloud.clients.s3,
    sqs: cloud.clients.sqs,
    log: memoryLog(),
  });
  await shipper.shipOnce();
  useLocalIndex(cloud);
  await waitForIndexed(cloud, 'bench', 600_000);
  const client = new ControlClient({
    url: cloud.outputs.ControlUrl as string,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return { cloud, client };
}

async function restoreAll(client: ControlClient): Promise<{ op: Operation; ms: number }> {
  const started = performance.now();
  const created = await client.request<Operation>('POST', '/operations', {
    kind: 'restore',
    params: { mode: 'point-in-time', all: true, chunkItems: 100 },
  });
  const op = await eventually(
    async () => {
      const now = await client.request<Operation>('GET', `/operations/${created.id}`);
      return now.state === 'running' || now.state === 'queued' ? undefined : now;
    },
    600_000,
    'the restore',
  );
  if (op.state !== 'succeeded') throw new Error(`restore ${op.id} ${op.state}: ${op.error}`);
  return { op, ms: performance.now() - started };
}

const rows: string[][] = [];
/** `oursMs` on a peer's row: the ratio column is the peer's time over ours (above 1: we are faster). */
const row = (stage: string, tool: string, ms: number, oursMs?: number) =>
  rows.push([
    stage,
    tool,
    fmt(ms / 1000, 2),
    fmt(messages.length / (ms / 1000)),
    fmt(bytes / MB / (ms / 1000), 1),
    oursMs === undefined ? '' : `${fmt(ms / oursMs, 2)}×`,
  ]);

try {
  let last: { cloud: LocalCloud; client: ControlClient; op: Operation } | undefined;
  for (const workers of workerCounts) {
    const { cloud, client } = await cloudWith(workers);
    const times: number[] = [];
    let op: Operation | undefined;
    for (let i = 0; i < runs; i++) {
      const done = await restoreAll(client);
      times.push(done.ms);
      op = done.op;
    }
    row('bundle (S3 → S3)', `offsite restore, ${workers} workers`, median(times));
    if (last) await last.cloud.stop();
    last = { cloud, client, op: op as Operation };
  }
  if (!last) throw new Error('no worker count given');
  const { cloud, op } = last;
  const bucket = cloud.outputs.BackupBucketName as string;
  const bundle = await openBundle(
    s3BundleSource(cloud.clients.s3, bucket, op.id),
    op.result?.sha256 as string,
  );

  const ours: number[] = [];
  const peer: number[] = [];
  let downloaded = '';
  for (let i = 0; i < runs; i++) {
    downloaded = join(work, `download-${i}`);
    let started = performance.now();
    await downloadBundle(bundle, downloaded);
    ours.push(performance.now() - started);
    started = performance.now();
    await run(
      'aws',
      [
        's3',
        'cp',
        '--recursive',
        '--only-show-errors',
        `s3://${bucket}/operations/${op.id}/bundle/`,
        join(work, `cp-${i}`),
        '--endpoint-url',
        cloud.endpoints.s3,
      ],
      { env: ENV },
    );
    peer.push(performance.now() - started);
  }
  row('download', 'offsite restore download (digests checked)', median(ours));
  row('download', 'aws s3 cp --recursive (no checks)', median(peer), median(ours));
  const local = await openBundle(directoryBundleSource(downloaded));

  const maildir: number[] = [];
  const imap: number[] = [];
  const imapSerial: number[] = [];
  const doveadm: number[] = [];
  const tgz: number[] = [];
  const tarPeer: number[] = [];
  const caldav: number[] = [];
  const calendarObjects = local.accounts.reduce(
    (n, a) => n + a.calendars.reduce((m, c) => m + c.components, 0),
    0,
  );
  for (let i = 0; i < runs; i++) {
    const viaImap = await startDovecot(join(work, `imap-${i}`));
    const viaImapSerial = await startDovecot(join(work, `imap-serial-${i}`));
    const viaFiles = await startDovecot(join(work, `files-${i}`));
    const dav = await startRadicale(join(work, `dav-${i}`));
    try {
      const imapTarget = (port: number, password: string) => ({
        host: '127.0.0.1',
        port,
        secure: false,
        // Loopback Dovecot without TLS.
        insecure: true,
        password,
      });
      let started = performance.now();
      await applyToImap(local, imapTarget(viaImap.port, viaImap.password));
      imap.push(performance.now() - started);
      started = performance.now();
      await applyToImap(local, imapTarget(viaImapSerial.port, viaImapSerial.password), { parallel: 1 });
      imapSerial.push(performance.now() - started);
      // Zimbra's import archive of every account (all item kinds), next to a plain tar of the same mail.
      started = performance.now();
      for (const account of local.accounts)
        await applyToTgz(local, join(work, `tgz-${i}`, `${account.target}.tgz`), {
          accounts: [account.target],
        });
      tgz.push(performance.now() - started);
      started = performance.now();
      await applyToDav(local, {
        kind: 'caldav',
        base: `${dav.url}/`,
        user: dav.user,
        password: dav.password,
      });
      caldav.push(performance.now() - started);
      started = performance.now();
      await applyToMaildir(local, viaFiles.mailRoot);
      maildir.push(performance.now() - started);
      // Dovecot's own import of the same mail from that Maildir, into other users of the same server.
      viaFiles.adopt();
      started = performance.now();
      for (const account of local.accounts) {
        const source = join(viaFiles.mailRoot, account.target);
        await run(DOVEADM, [
          '-c',
          join(work, `files-${i}`, 'dovecot.conf'),
          'import',
          '-u',
          `copy-${account.target}`,
          '-s',
          `maildir:${source}:LAYOUT=fs:INBOX=${source}/INBOX`,
          '',
          'all',
        ]);
      }
      doveadm.push(performance.now() - started);
      started = performance.now();
      await run('tar', ['-czf', join(work, `plain-${i}.tgz`), '-C', viaFiles.mailRoot, '.']);
      tarPeer.push(performance.now() - started);
    } finally {
      await Promise.all([viaImap.stop(), viaImapSerial.stop(), viaFiles.stop(), dav.stop()]);
    }
  }
  row('apply', 'offsite restore apply --to maildir:', median(maildir));
  row('apply', 'offsite restore apply --to imap:// (Dovecot), 4 at once', median(imap));
  row('apply', 'offsite restore apply --to imap:// --parallel 1', median(imapSerial));
  row('apply', 'doveadm import from Maildir (server-side)', median(doveadm), median(imap));
  row('apply', 'offsite restore apply --to tgz: (Zimbra import archive)', median(tgz));
  row('apply', 'tar -czf of the Maildir (plain copy)', median(tarPeer), median(tgz));
  row(
    'apply',
    `offsite restore apply --to caldav:// (Radicale, ${fmt(calendarObjects)} objects)`,
    median(caldav),
  );
  await cloud.stop();

  console.log(
    `\nrestore of ${fmt(messages.length)} messages (${fmt(bytes / MB, 1)} MB), medians of ${runs} runs; ratio = peer's time / ours (above 1: offsite is faster)\n`,
  );
  const head = ['stage', 'tool', 's', 'msgs/s', 'MB/s', 'peer time / ours'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
  // A 10 GB mailbox of 100,000 messages at the rates measured here: per-message cost from msgs/s and
  // per-byte cost from MB/s, whichever bounds it (this workload's messages average ~12 KB, that one's 100 KB).
  const project = (ms: number) =>
    Math.max(100_000 / (messages.length / (ms / 1000)), 10_000 / (bytes / MB / (ms / 1000)));
  console.log('\nprojected for a 10 GB / 100,000-message mailbox:');
  for (const [tool, ms] of [
    ['imap:// (one account, one connection)', median(imapSerial)],
    ['maildir:', median(maildir)],
    ['tgz: (Zimbra import archive)', median(tgz)],
  ] as const)
    console.log(`  ${tool}: ${fmt(project(ms) / 60, 1)} min`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
