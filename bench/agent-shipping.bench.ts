// The agent's shipping on the local S3 (fauxqs on loopback), next to the tools an admin would otherwise use,
// all writing the same redo files to the same S3 in one run:
//   1. throughput: `offsite agent ship-once` path (follow, segment, zstd, SHA-256, spool, upload, announce)
//      vs `aws s3 cp --recursive`, `aws s3 sync` and `restic backup` (when installed), medians and ratios;
//   2. recovery point: time from a record written to redo.log to its segment acknowledged by S3, median
//      and 99th percentile, and segment PUTs per second, at the default settings on a busy and a quiet
//      host, next to a shorter interval and the age-only cutting of before.
// Usage: npm run bench:ship -- [--size-mib 128] [--runs 3] [--rpo-seconds 10]

import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, promisify } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { parseAgentConfig } from '#agent/config/agent-config.ts';
import { memoryLog } from '#agent/observability.ts';
import { Shipper } from '#agent/ship/shipper.ts';
import { RESTIC_ENV } from '#bench/bench-helpers.ts';
import { median, percentile } from '#bench/stats.ts';
import { encodeFileHeader } from '#core/redo/file-header.ts';
import { archiveFileName } from '#core/redo/redo-file-names.ts';
import { LATEST_VERSION } from '#core/redo/version.ts';
import { seededRandom } from '#core/seeded-random.ts';
import { startFauxqsProcess } from '#local/emulators/fauxqs.ts';
import { startMoto } from '#local/emulators/moto.ts';
import { freePort } from '#local/emulators/ports.ts';
import { buildBundle } from '#scripts/build-bundle.ts';
import { committedTransaction, createMessageOp } from '#test/support/redo-fixtures.ts';

const { values } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '128' },
    runs: { type: 'string', default: '3' },
    'rpo-seconds': { type: 'string', default: '10' },
    backend: { type: 'string', default: 'fauxqs' },
  },
});
const MiB = 1024 * 1024;
const sizeBytes = Number(values['size-mib']) * MiB;
const runs = Number(values.runs);
const rpoSeconds = Number(values['rpo-seconds']);
const run = promisify(execFile);
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const ENV = RESTIC_ENV;

const random = seededRandom(17);
let txn = 0;
/** A delivered message and its commit: text and base64 attachments, 2–60 KB, like a mail server's log. */
function messageRecords(): Buffer {
  txn++;
  const text = Buffer.from(
    `Subject: quarterly report ${txn}\r\n\r\n${'The figures are attached. '.repeat(20)}\r\n`,
  );
  const attachment = Buffer.from(randomBytes(Math.floor(random() * 45_000)).toString('base64'));
  const body = Buffer.concat([text, attachment]);
  return Buffer.concat(
    committedTransaction(
      createMessageOp(txn, body, {
        rcptEmail: `user${txn % 50}@example.com`,
        receivedDate: Date.now(),
        tags: null,
        path: `/opt/zimbra/store/0/1/msg/0/${txn}-1.msg`,
      }),
      txn,
    ),
  );
}

function header(sequence: bigint, open: boolean): Buffer {
  return encodeFileHeader({
    open,
    fileSize: 0,
    sequence,
    serverId: 'bench',
    firstOpTime: Date.now(),
    lastOpTime: 0,
    version: LATEST_VERSION,
    createTime: Date.now(),
  });
}

/** A redolog directory holding `size` bytes: archived files of 32 MiB and a live redo.log. */
function generateRedolog(dir: string, size: number): void {
  mkdirSync(join(dir, 'archive'), { recursive: true });
  const fileSize = 32 * MiB;
  let sequence = 1n;
  for (let written = 0; written < size; sequence++) {
    const last = written + fileSize >= size;
    const parts = [header(sequence, last)];
    let bytes = 512;
    while (bytes < Math.min(fileSize, size - written)) {
      const r = messageRecords();
      parts.push(r);
      bytes += r.length;
    }
    const path = last
      ? join(dir, 'redo.log')
      : join(dir, 'archive', archiveFileName(Date.now() + Number(sequence), sequence));
    writeFileSync(path, Buffer.concat(parts));
    written += bytes;
  }
}

const work = mkdtempSync(join(tmpdir(), 'offsite-bench-ship-'));
const backend = values.backend;
if (backend !== 'fauxqs' && backend !== 'moto')
  throw new Error(`--backend must be fauxqs or moto, not ${backend}`);
// fauxqs is fast but stores minio-go's signed streaming uploads undecoded, so restic needs moto. Either runs
// in a process of its own: the agent runs in this one, and must not share its thread with the S3 it talks to
// while the CLI tools each have a process (in this process, fauxqs made the agent look 1.7x slower).
const emulator =
  backend === 'moto' ? await startMoto(await freePort()) : await startFauxqsProcess(await freePort());
const endpoint = emulator.endpoint;
const bucket = 'bench-backups';
const s3 = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials, maxAttempts: 1 });
const sqs = new SQSClient({ region: 'us-east-1', endpoint, credentials });
try {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: 'bench-ingest.fifo',
      Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'false' },
    }),
  );
  const queueUrl = queue.QueueUrl as string;
  const host = join(work, 'host');
  const redolog = join(host, 'redolog');
  process.stderr.write(`generating ${values['size-mib']} MiB of redo log…\n`);
  generateRedolog(redolog, sizeBytes);
  const restic =
    backend === 'moto' &&
    (await run('restic', ['version']).then(
      () => true,
      () => false,
    ));

  const tools: { name: string; ship(i: number): Promise<void> }[] = [
    {
      name: 'offsite agent (zstd 3, 4 uploads)',
      ship: async (i) => {
        const config = parseAgentConfig({
          serverId: `bench-${i}`,
          zimbraHome: host,
          stateDir: join(work, `state-${i}`),
          aws: { region: 'us-east-1', bucket, ingestQueueUrl: queueUrl, endpoint },
          metrics: { enabled: false },
        });
        const shipper = await Shipper.open({ config, s3, sqs, log: memoryLog() });
        await shipper.shipOnce();
      },
    },
    {
      name: 'aws s3 cp --recursive',
      ship: async (i) => {
        await run(
          'aws',
          [
            's3',
            'cp',
            '--recursive',
            '--only-show-errors',
            redolog,
            `s3://${bucket}/cp-${i}/`,
            '--endpoint-url',
            endpoint,
          ],
          {
            env: ENV,
          },
        );
      },
    },
    {
      name: 'aws s3 sync',
      ship: async (i) => {
        await run(
          'aws',
          [
            's3',
            'sync',
            '--only-show-errors',
            redolog,
            `s3://${bucket}/sync-${i}/`,
            '--endpoint-url',
            endpoint,
          ],
          {
            env: ENV,
          },
        );
      },
    },
    ...(restic
      ? [
          {
            name: 'restic backup',
            ship: async (i: number) => {
              const repo = ['-r', `s3:${endpoint}/${bucket}/restic-${i}`];
              await run('restic', [...repo, 'init'], { env: ENV });
              await run('restic', [...repo, 'backup', '--quiet', redolog], { env: ENV });
            },
          },
        ]
      : []),
  ];

  const seconds = new Map<string, number[]>();
  for (let i = 0; i < runs; i++) {
    for (const tool of tools) {
      const started = performance.now();
      await tool.ship(i);
      const s = (performance.now() - started) / 1000;
      seconds.set(tool.name, [...(seconds.get(tool.name) ?? []), s]);
      process.stderr.write(`run ${i + 1}: ${tool.name} ${s.toFixed(2)} s\n`);
    }
  }
  const ours = median(seconds.get(tools[0]?.name as string) ?? []);
  const mib = sizeBytes / MiB;
  console.log(
    `\nShipping ${mib} MiB of redo log (messages 2–60 KB, text + base64 attachments) to ${backend} S3 on loopback, median of ${runs}:\n`,
  );
  console.log('| tool | median s | MiB/s | time vs offsite |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const tool of tools) {
    const m = median(seconds.get(tool.name) ?? []);
    console.log(`| ${tool.name} | ${m.toFixed(2)} | ${(mib / m).toFixed(0)} | ${(m / ours).toFixed(2)}× |`);
  }
  if (!restic) {
    console.log(
      backend === 'moto'
        ? '\nrestic is not installed (apt-get install restic) and was left out.'
        : '\nrestic runs only with --backend moto (fauxqs keeps its signed streaming uploads undecoded).',
    );
  }

  // ---- agent memory --------------------------------------------------------------------------------------
  // The agent as a host runs it (its own process, `agent ship-once`), on this log and on one four times as
  // large: its peak resident memory (VmHWM) must not grow with what it ships. From the sources (Node strips
  // the types of every module it loads), from the bundle a host installs (`npm run package`), and from the
  // bundle with the environment the systemd unit sets (a smaller young generation, one malloc arena).
  const bundle = await buildBundle(join(work, 'bundle'));
  const unitEnv = Object.fromEntries(
    [
      ...readFileSync(new URL('../agent/systemd/offsite-agent.service', import.meta.url), 'utf8').matchAll(
        /^Environment=([A-Z_]+)=(.*)$/gm,
      ),
    ].map(([, name, value]) => [name, value]),
  );
  console.log('\nAgent peak memory, `offsite agent ship-once` in its own process:\n');
  console.log('| entry | redo log shipped | seconds | CPU seconds | peak RSS MiB |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  const size = Number(values['size-mib']);
  const memoryRuns = [
    ['sources', 'cli/main.ts', size, {}],
    ['sources', 'cli/main.ts', size * 4, {}],
    ['bundle', bundle, size, {}],
    ['bundle', bundle, size * 4, {}],
    ["bundle, the unit's environment", bundle, size, unitEnv],
    ["bundle, the unit's environment", bundle, size * 4, unitEnv],
  ] as const;
  for (const [n, [entryName, entry, mib, extraEnv]] of memoryRuns.entries()) {
    const hostDir = mib === size ? host : join(work, 'host-rss-large');
    if (n === 1) generateRedolog(join(hostDir, 'redolog'), mib * MiB);
    const configFile = join(work, `rss-${n}.json`);
    writeFileSync(
      configFile,
      JSON.stringify({
        serverId: `rss-${n}`,
        zimbraHome: hostDir,
        stateDir: join(work, `rss-state-${n}`),
        aws: { region: 'us-east-1', bucket, ingestQueueUrl: queueUrl, endpoint },
        metrics: { enabled: false },
      }),
    );
    const started = performance.now();
    const child = spawn(process.execPath, [entry, 'agent', 'ship-once', '--config', configFile], {
      env: { ...ENV, ...extraEnv },
      stdio: 'ignore',
    });
    let peakKiB = 0;
    let cpuSeconds = 0;
    const sample = () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakKiB = Math.max(peakKiB, Number(m[1]));
        // utime and stime, in clock ticks (100 per second on Linux), after the command and state fields.
        const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
        cpuSeconds = (Number(stat[11]) + Number(stat[12])) / 100;
      } catch {
        // gone: the last sample stands
      }
    };
    const timer = setInterval(sample, 10);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearInterval(timer);
    if (code !== 0) throw new Error(`agent ship-once of ${mib} MiB exited ${code}`);
    console.log(
      `| ${entryName} | ${mib} MiB | ${((performance.now() - started) / 1000).toFixed(1)} | ${cpuSeconds.toFixed(1)} | ${(peakKiB / 1024).toFixed(0)} |`,
    );
  }

  // ---- recovery point ------------------------------------------------------------------------------------
  console.log(
    `\nRecovery point: a message written to redo.log → S3 acknowledging the segment that holds it (${rpoSeconds} s busy, ${rpoSeconds * 3} s quiet), and segment PUTs per second while writing:\n`,
  );
  console.log('| settings | load | samples | median ms | p99 ms | segment PUTs/s |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: |');
  const busy = { name: '20 messages/s', gapMs: () => 50, seconds: rpoSeconds };
  // Quiet: messages further apart than the interval, each shipped on its own (three times as long, for samples).
  const quiet = {
    name: 'a message every 1–3 s',
    gapMs: () => 1000 + random() * 2000,
    seconds: rpoSeconds * 3,
  };
  const settings = [
    { name: 'defaults (cut when caught up, ≥ 1 s apart)', segment: {}, pollMs: undefined, load: busy },
    { name: 'defaults', segment: {}, pollMs: undefined, load: quiet },
    { name: 'minIntervalSeconds 0.5', segment: { minIntervalSeconds: 0.5 }, pollMs: undefined, load: busy },
    {
      name: 'before: cut by age only (maxAgeSeconds 5, polled every 200 ms)',
      segment: { minIntervalSeconds: 300 },
      pollMs: 200,
      load: busy,
    },
  ];
  for (const [n, setting] of settings.entries()) {
    const serverId = `rpo-${n}`;
    const liveHost = join(work, serverId);
    mkdirSync(join(liveHost, 'redolog'), { recursive: true });
    const live = join(liveHost, 'redolog', 'redo.log');
    writeFileSync(live, header(1n, true));
    let size = 512;
    // Acknowledgements observed on the client the agent uses: key → time.
    const acked: { first: number; last: number; at: number }[] = [];
    const timed = new S3Client({
      region: 'us-east-1',
      endpoint,
      forcePathStyle: true,
      credentials,
      maxAttempts: 1,
    });
    timed.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const key = String((args.input as { Key?: string }).Key ?? '');
        const m = /\/(\d+)-(\d+)\.[0-9a-f]{64}$/.exec(key);
        if (context.commandName === 'PutObjectCommand' && m)
          acked.push({ first: Number(m[1]), last: Number(m[2]), at: performance.now() });
        return result;
      },
      { step: 'initialize' },
    );
    const config = parseAgentConfig({
      serverId,
      zimbraHome: liveHost,
      stateDir: join(work, `rpo-state-${n}`),
      aws: { region: 'us-east-1', bucket, ingestQueueUrl: queueUrl, endpoint },
      startFrom: 'live',
      ...(setting.pollMs !== undefined ? { pollMs: setting.pollMs } : {}),
      segment: setting.segment,
      metrics: { enabled: false },
    });
    const shipper = await Shipper.open({ config, s3: timed, sqs, log: memoryLog() });
    const controller = new AbortController();
    const running = shipper.run(controller.signal);
    await sleep(500); // the follower is watching the live file
    const written: { end: number; at: number }[] = [];
    const started = performance.now();
    const until = started + setting.load.seconds * 1000;
    while (performance.now() < until) {
      const r = messageRecords();
      appendFileSync(live, r);
      size += r.length;
      written.push({ end: size, at: performance.now() });
      await sleep(setting.load.gapMs());
    }
    const writing = (performance.now() - started) / 1000;
    const putsWhileWriting = acked.filter((a) => a.at <= started + writing * 1000).length;
    const deadline = performance.now() + 15_000;
    while ((acked.at(-1)?.last ?? 0) < size && performance.now() < deadline) await sleep(20);
    controller.abort();
    await running;
    const latencies = written.flatMap((w) => {
      const ack = acked.find((a) => a.first < w.end && a.last >= w.end);
      return ack ? [ack.at - w.at] : [];
    });
    console.log(
      `| ${setting.name} | ${setting.load.name} | ${latencies.length}/${written.length} | ${median(latencies).toFixed(0)} | ${percentile(latencies, 99).toFixed(0)} | ${(putsWhileWriting / writing).toFixed(2)} |`,
    );
  }
} finally {
  await emulator.stop();
  rmSync(work, { recursive: true, force: true });
}
