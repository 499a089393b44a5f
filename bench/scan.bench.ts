// Scanning a server's existing mail into the backup, next to `restic backup` of the same blob store to the
// same local S3 (moto: restic's signed streaming uploads need it), in one run, medians of --runs:
//   1. first backup: `offsite scan full` (every blob checked against its digest, packed once by digest into
//      16 MiB packs, one snapshot per mailbox) vs `restic init` + `restic backup` of the volume directory;
//   2. after --more steps of new mail: `offsite scan smart` vs a second `restic backup`.
// Requests are counted by an HTTP proxy both tools talk through; bytes stored are listed from S3.
// The dedup ratio is the bytes the mailboxes refer to (a message shared by N mailboxes counts N times)
// over the bytes stored.
// Usage: npm run bench:scan -- [--steps 3000] [--more 600] [--runs 3] [--mailboxes N]
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import mariadb from 'mariadb';
import { parseAgentConfig } from '#agent/config/agent-config.ts';
import { memoryLog } from '#agent/observability.ts';
import { runScan, type ScanReport } from '#agent/scan/run-scan.ts';
import { Shipper } from '#agent/ship/shipper.ts';
import { RESTIC_ENV } from '#bench/bench-helpers.ts';
import { fmt, MB, median } from '#bench/stats.ts';
import { startMoto } from '#local/emulators/moto.ts';
import { freePort, LOOPBACK } from '#local/emulators/ports.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { MailboxDatabase } from '#local/mail-host/mailbox-database.ts';
import { startMariaDb } from '#local/mail-host/mariadb-server.ts';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '3000' },
    more: { type: 'string', default: '600' },
    runs: { type: 'string', default: '3' },
    // Mailboxes scanned at once (scan.mailboxConcurrency); unset: the agent's default.
    mailboxes: { type: 'string' },
  },
});
const runs = Number(values.runs);
const run = promisify(execFile);
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const ENV = RESTIC_ENV;

/** An HTTP proxy in front of the S3 endpoint that counts the requests passing through. */
async function countingProxy(target: string): Promise<{ url: string; count: () => number; close(): void }> {
  const to = new URL(target);
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    const upstream = http.request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://${LOOPBACK}:${port}`, count: () => requests, close: () => server.close() };
}

const work = mkdtempSync(join(tmpdir(), 'offsite-bench-scan-'));
const [moto, db] = await Promise.all([
  freePort().then((port) => startMoto(port)),
  startMariaDb({ workDir: join(work, 'mariadb') }),
]);
const proxy = await countingProxy(moto.endpoint);
const s3 = new S3Client({
  region: 'us-east-1',
  endpoint: proxy.url,
  forcePathStyle: true,
  credentials,
  maxAttempts: 1,
});
const sqs = new SQSClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials });

async function storedBytes(bucket: string, prefix: string): Promise<{ objects: number; bytes: number }> {
  const direct = new S3Client({
    region: 'us-east-1',
    endpoint: moto.endpoint,
    forcePathStyle: true,
    credentials,
  });
  let objects = 0;
  let bytes = 0;
  let token: string | undefined;
  do {
    const page = await direct.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) {
      objects++;
      bytes += o.Size ?? 0;
    }
    token = page.NextContinuationToken;
  } while (token);
  return { objects, bytes };
}

interface Row {
  tool: string;
  phase: string;
  seconds: number[];
  requests: number[];
  stored: number[];
}
const rows = new Map<string, Row>();
function record(tool: string, phase: string, seconds: number, requests: number, stored: number) {
  const key = `${tool}\0${phase}`;
  const row = rows.get(key) ?? { tool, phase, seconds: [], requests: [], stored: [] };
  row.seconds.push(seconds);
  row.requests.push(requests);
  row.stored.push(stored);
  rows.set(key, row);
}

let referenced = 0;
let distinct = 0;
try {
  for (let i = 0; i < runs; i++) {
    const bucket = `bench-scan-${i}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const queue = await sqs.send(
      new CreateQueueCommand({
        QueueName: `bench-scan-${i}.fifo`,
        Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'false' },
      }),
    );
    // The same workload every run, in a database of its own.
    const sim = new MailHostSimulator({
      hostDir: join(work, `host-${i}`),
      seed: 91,
      accounts: 8,
      deleteOnRollover: true,
      rolloverBytes: 64 * 1024 * 1024,
      tickMaxMs: 30_000,
    });
    sim.run(Number(values.steps));
    sim.rollover(); // the redo that carried this history is gone: only a scan can back it up
    const admin = await mariadb.createConnection(db.admin);
    for (const name of (await admin.query("SHOW DATABASES LIKE 'mboxgroup%'")) as Record<string, string>[])
      await admin.query(`DROP DATABASE ${Object.values(name)[0]}`);
    await admin.query('DROP DATABASE IF EXISTS zimbra');
    await admin.end();
    const database = await MailboxDatabase.open(db.admin);
    await database.mirror(sim);
    const messages = Object.values(sim.current().mailboxes).flatMap((m) => Object.values(m.messages));
    referenced = messages.reduce((sum, m) => sum + m.size, 0);
    distinct = new Map(messages.map((m) => [m.sha256, m.size])).size;
    writeFileSync(join(work, 'db-password'), db.reader.password, { mode: 0o600 });
    const config = parseAgentConfig({
      serverId: `bench-${i}`,
      zimbraHome: sim.hostDir,
      stateDir: join(work, `state-${i}`),
      aws: { region: 'us-east-1', bucket, ingestQueueUrl: queue.QueueUrl, endpoint: proxy.url },
      metrics: { enabled: false },
      mailboxDb: {
        host: db.reader.host,
        port: db.reader.port,
        user: db.reader.user,
        passwordFile: join(work, 'db-password'),
      },
      scan: {
        volumes: { '1': sim.volumePath },
        ...(values.mailboxes ? { mailboxConcurrency: Number(values.mailboxes) } : {}),
      },
    });
    const shipper = await Shipper.open({ config, s3, sqs, log: memoryLog() });
    const shipping = new AbortController();
    const running = shipper.run(shipping.signal);
    const reader = await mariadb.createConnection({
      ...db.reader,
      password: readFileSync(join(work, 'db-password'), 'utf8'),
    });
    const offsiteScan = async (kind: 'full' | 'smart', phase: string): Promise<ScanReport> => {
      const before = proxy.count();
      const started = performance.now();
      const report = await runScan(
        {
          config,
          shipper,
          s3,
          db: reader,
          connect: () =>
            mariadb.createConnection({
              ...db.reader,
              password: readFileSync(join(work, 'db-password'), 'utf8'),
            }),
          log: memoryLog(),
        },
        { kind, all: true },
      );
      while (shipper.spool.list().some((e) => e.kind === 'scan' || e.kind === 'pack'))
        await new Promise((r) => setTimeout(r, 20));
      const seconds = (performance.now() - started) / 1000;
      const stored = await storedBytes(bucket, `servers/bench-${i}/packs/`);
      const scans = await storedBytes(bucket, `servers/bench-${i}/scans/`);
      record('offsite scan', phase, seconds, proxy.count() - before, stored.bytes + scans.bytes);
      return report;
    };
    const resticBackup = async (phase: string, init: boolean) => {
      const repo = ['-r', `s3:${proxy.url}/${bucket}/restic`];
      const before = proxy.count();
      const started = performance.now();
      if (init) await run('restic', [...repo, 'init'], { env: ENV });
      await run('restic', [...repo, 'backup', '--quiet', sim.volumePath], { env: ENV });
      const seconds = (performance.now() - started) / 1000;
      record(
        'restic backup',
        phase,
        seconds,
        proxy.count() - before,
        (await storedBytes(bucket, 'restic/')).bytes,
      );
    };
    process.stderr.write(`run ${i + 1}/${runs}: first backup\n`);
    await offsiteScan('full', `first (${values.steps} steps)`);
    await resticBackup(`first (${values.steps} steps)`, true);
    sim.run(Number(values.more));
    await database.mirror(sim);
    // The new redo is shipped before the smart scan is timed: its requests are not the scan's.
    const end = sim.redo.position();
    while (
      shipper.spool.list().length > 0 ||
      shipper.state.data.cursor?.sequence !== String(end.sequence) ||
      shipper.state.data.cursor?.offset !== end.offset
    )
      await new Promise((r) => setTimeout(r, 50));
    process.stderr.write(`run ${i + 1}/${runs}: after ${values.more} more steps\n`);
    await offsiteScan('smart', `incremental (+${values.more} steps)`);
    await resticBackup(`incremental (+${values.more} steps)`, false);
    shipping.abort();
    await running;
    await reader.end();
    await database.close();
  }
} catch (error) {
  // Said before the database stops under the connections still open (their errors would hide this one).
  console.error(error);
  process.exitCode = 1;
} finally {
  proxy.close();
  await Promise.all([moto.stop(), db.stop()]);
  rmSync(work, { recursive: true, force: true });
}

console.log(
  `\nworkload: ${fmt(referenced / MB, 1)} MB referenced by the mailboxes, ${fmt(distinct)} distinct bodies; medians of ${runs}\n`,
);
console.log('| tool | phase | median s | S3 requests | stored MB (total) | dedup ratio | time vs offsite |');
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
const offsiteTime = new Map(
  [...rows.values()].filter((r) => r.tool === 'offsite scan').map((r) => [r.phase, median(r.seconds)]),
);
for (const row of rows.values()) {
  const seconds = median(row.seconds);
  const stored = median(row.stored);
  console.log(
    `| ${row.tool} | ${row.phase} | ${fmt(seconds, 2)} | ${fmt(median(row.requests))} | ${fmt(stored / MB, 2)} | ${row.phase.startsWith('first') ? `${fmt(referenced / stored, 1)}×` : '–'} | ${fmt(seconds / (offsiteTime.get(row.phase) ?? seconds), 2)}× |`,
  );
}
