// The body store on the local cloud (moto S3, DynamoDB Local), medians of --runs, with peers in the same run:
//   1. storing: the bodies of --mailboxes mailboxes, arriving interleaved (as a server delivers them), written
//      into packs with their locations (`packBodies`, what the indexer does), next to one object per body
//      (the layout before packs) — requests and bytes per GB;
//   2. reading one mailbox back, every body checked against its digest (`readBodies`: ranged GETs of its
//      frames, neighbours coalesced), next to GETs of the same bodies stored one object each (no checks),
//      GETs of the whole packs that hold them (no checks), and `restic restore` of that mailbox's directory
//      from a restic repository of all of them in the same S3 (Debian restic); then again after a purge's
//      repack merged the indexer's small packs;
//   3. a projected monthly cost of a 5 GB mailbox from the measured requests and bytes (prices below).
// Usage: npm run bench:store -- [--mailboxes 4] [--messages 600] [--runs 3]
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RESTIC_ENV, startBenchCloud } from '#bench/bench-helpers.ts';
import { countCapacity } from '#bench/consumed-capacity.ts';
import { fmt, MB, median } from '#bench/stats.ts';
import { inParallel } from '#core/in-parallel.ts';
import { seededRandom } from '#core/seeded-random.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';
import { setDynamodb } from '#functions/clients/dynamodb.ts';
import { setS3 } from '#functions/clients/s3.ts';
import { repackPacks } from '#functions/retention/repack-packs.ts';
import { locateBodies, packBodies, readBodies } from '#functions/storage/body-store.ts';

const { values } = parseArgs({
  options: {
    mailboxes: { type: 'string', default: '4' },
    messages: { type: 'string', default: '600' },
    runs: { type: 'string', default: '3' },
  },
});
const runs = Number(values.runs);
const run = promisify(execFile);
const GB = 1_000_000_000;
const CONCURRENCY = 8;

// Prices (us-east-1, on-demand, as published in 2026): what the projection below multiplies.
const PRICE = {
  standardGbMonth: 0.023,
  glacierIrGbMonth: 0.004,
  putPer1000: 0.005,
  /** A lifecycle transition to Glacier IR, per object. */
  transitionPer1000: 0.02,
  glacierIrGetPer1000: 0.01,
  glacierIrRetrievalPerGb: 0.03,
  dynamoWritePerMillion: 1.25,
  dynamoGbMonth: 0.25,
};

/** A mail body of a plausible size: mostly a few KB of text, some with an attachment of 100 KB to 2 MB. */
function message(random: () => number, n: number): Buffer {
  const text = `From: sender${n % 37}@example.com\r\nSubject: message ${n}\r\n\r\n`;
  const lines = 20 + Math.floor(random() * 200);
  let body = text;
  for (let i = 0; i < lines; i++)
    body += `line ${i} of message ${n}: ${'lorem ipsum dolor sit amet '.repeat(2)}\r\n`;
  if (random() < 0.08) {
    const size = 4 * Math.floor((100_000 + random() * 1_900_000) / 4);
    const attachment = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4) attachment.writeUInt32LE(Math.floor(random() * 2 ** 32), i);
    body += `\r\n--attachment--\r\n${attachment.toString('base64')}\r\n`;
  }
  return Buffer.from(body);
}

type Row = { what: string; seconds: number[]; requests: number[]; bytes: number[] };
const rows = new Map<string, Row>();
function record(what: string, seconds: number, requests: number, bytes: number): void {
  const row = rows.get(what) ?? { what, seconds: [], requests: [], bytes: [] };
  row.seconds.push(seconds);
  row.requests.push(requests);
  row.bytes.push(bytes);
  rows.set(what, row);
}

const work = mkdtempSync(join(tmpdir(), 'offsite-bench-store-'));
// moto's S3 (restic's uploads read back corrupt from fauxqs); the index on DynamoDB Local, as everywhere else:
// moto's DynamoDB takes ~1 ms a lookup, which had been measured as the index's cost.
const cloud = await startBenchCloud('moto', join(work, 'cloud'), undefined, true);
setS3(cloud.clients.s3);
const documents = DynamoDBDocumentClient.from(cloud.clients.dynamodb, {
  marshallOptions: { removeUndefinedValues: true },
});
setDynamodb(documents);
const capacity = countCapacity(documents);
const bucket = cloud.outputs.BackupBucketName as string;
const table = [...cloud.resources.tables.values()].find((t) => t.startsWith('IndexTable')) as string;
// Counts requests the way S3 bills them: every call the client sends.
let requests = 0;
cloud.clients.s3.middlewareStack.add(
  (next) => async (args) => {
    requests++;
    return next(args);
  },
  { step: 'initialize', name: 'countRequests' },
);
const ENV = RESTIC_ENV;
let referenced = 0;
let mailboxBytes = 0;
let packStats = { bytes: 0, requests: 0, wcu: 0, bodies: 0 };
try {
  for (let r = 0; r < runs; r++) {
    const random = seededRandom(7 + r);
    const mailboxes = Number(values.mailboxes);
    const all: { mailbox: number; sha256: string; content: Buffer }[] = [];
    for (let i = 0; i < mailboxes * Number(values.messages); i++) {
      const content = message(random, i + r * 1_000_000);
      all.push({ mailbox: Math.floor(random() * mailboxes), sha256: sha256Hex(content), content });
    }
    referenced = all.reduce((n, b) => n + b.content.length, 0);
    const mine = all.filter((b) => b.mailbox === 0);
    mailboxBytes = mine.reduce((n, b) => n + b.content.length, 0);
    process.stderr.write(`run ${r + 1}/${runs}: ${all.length} bodies, ${fmt(referenced / MB, 1)} MB\n`);

    // 1. Storing. Packs as the indexer writes them: a segment's worth at a time (here 2 MB of bodies).
    let before = requests;
    capacity.reset();
    let started = performance.now();
    let packBytes = 0;
    for (let i = 0; i < all.length; ) {
      const batch: typeof all = [];
      let size = 0;
      while (i < all.length && size < 2 * 1024 * 1024) {
        const b = all[i++] as (typeof all)[number];
        batch.push(b);
        size += b.content.length;
      }
      packBytes += (await packBodies({ bucket, table }, batch)).bytes;
    }
    record('store: packs + locations', (performance.now() - started) / 1000, requests - before, packBytes);
    packStats = {
      bytes: packBytes,
      requests: requests - before,
      // DynamoDB Local under-reports batch writes' capacity: a location item (~250 bytes) is one WCU on AWS.
      wcu: Math.max(capacity.writeUnits, all.length),
      bodies: all.length,
    };
    before = requests;
    started = performance.now();
    await inParallel(all, CONCURRENCY, async (b) => {
      await cloud.clients.s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: `single-${r}/${b.sha256}`, Body: b.content }),
      );
    });
    record('store: one object per body', (performance.now() - started) / 1000, requests - before, referenced);
    const dir = join(work, `files-${r}`);
    for (let m = 0; m < mailboxes; m++) mkdirSync(join(dir, `mbox${m}`), { recursive: true });
    for (const b of all) writeFileSync(join(dir, `mbox${b.mailbox}`, b.sha256), b.content);
    const repo = ['-r', `s3:${cloud.endpoints.s3}/${bucket}/restic-${r}`];
    started = performance.now();
    await run('restic', [...repo, 'init'], { env: ENV });
    await run('restic', [...repo, 'backup', '--quiet', dir], { env: ENV });
    const resticBytes = await storedBytes(`restic-${r}/`);
    record('store: restic backup', (performance.now() - started) / 1000, Number.NaN, resticBytes);

    // 2. Reading one mailbox back.
    before = requests;
    started = performance.now();
    await readMailbox(mine);
    record(
      'read mailbox: offsite (ranged, checked)',
      (performance.now() - started) / 1000,
      requests - before,
      mailboxBytes,
    );

    before = requests;
    started = performance.now();
    let read = 0;
    await inParallel(mine, CONCURRENCY, async (b) => {
      const got = await cloud.clients.s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: `single-${r}/${b.sha256}` }),
      );
      const bytes = await (
        got.Body as { transformToByteArray(): Promise<Uint8Array> }
      ).transformToByteArray();
      read += bytes.length;
    });
    record('read mailbox: raw GET per body', (performance.now() - started) / 1000, requests - before, read);

    // The index lookups a read starts with, alone (BatchGetItems of 100 keys, four at once).
    started = performance.now();
    const locations = await locateBodies(
      table,
      mine.map((b) => b.sha256),
    );
    record('read mailbox: its index lookups alone', (performance.now() - started) / 1000, 0, Number.NaN);
    const packs = [...new Set([...locations.values()].map((l) => l.pack))];
    before = requests;
    started = performance.now();
    read = 0;
    await inParallel(packs, CONCURRENCY, async (key) => {
      const got = await cloud.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const bytes = await (
        got.Body as { transformToByteArray(): Promise<Uint8Array> }
      ).transformToByteArray();
      read += bytes.length;
    });
    record(
      'read mailbox: raw GET of its packs',
      (performance.now() - started) / 1000,
      requests - before,
      read,
    );

    // After a purge's repack, which merges the small packs the indexer wrote into packs of 16 MiB.
    before = requests;
    started = performance.now();
    const repack = await repackPacks(
      { indexTable: table, backupBucket: bucket },
      `bench-${r}`,
      new Set(),
      false,
    );
    record('repack: merge small packs', (performance.now() - started) / 1000, requests - before, Number.NaN);
    process.stderr.write(`repack: ${JSON.stringify(repack)}\n`);
    before = requests;
    started = performance.now();
    await readMailbox(mine);
    record(
      'read mailbox: offsite after repack',
      (performance.now() - started) / 1000,
      requests - before,
      mailboxBytes,
    );

    const target = join(work, `restored-${r}`);
    started = performance.now();
    await run('restic', [...repo, 'restore', 'latest', '--target', target, '--include', join(dir, 'mbox0')], {
      env: ENV,
    });
    record('read mailbox: restic restore', (performance.now() - started) / 1000, Number.NaN, mailboxBytes);
    rmSync(dir, { recursive: true, force: true });
    rmSync(target, { recursive: true, force: true });
  }
} finally {
  await cloud.stop();
  rmSync(work, { recursive: true, force: true });
}

/** Reads the bodies back as a restore does (ranged, every digest checked); all of them, or it throws. */
async function readMailbox(bodies: readonly { sha256: string; content: Buffer }[]): Promise<void> {
  let read = 0;
  let bad = 0;
  await readBodies(
    { bucket, table },
    bodies.map((b) => ({ sha256: b.sha256, maxSize: b.content.length })),
    async (_, body) => {
      if (Buffer.isBuffer(body)) read += body.length;
      else bad++;
    },
    { concurrency: CONCURRENCY },
  );
  const expected = bodies.reduce((n, b) => n + b.content.length, 0);
  if (bad > 0 || read !== expected) throw new Error(`read ${read} of ${expected} bytes, ${bad} failed`);
}

async function storedBytes(prefix: string): Promise<number> {
  let total = 0;
  let token: string | undefined;
  do {
    const page = await cloud.clients.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) total += o.Size ?? 0;
    token = page.NextContinuationToken;
  } while (token);
  return total;
}

console.log(
  `\nworkload: ${values.mailboxes} mailboxes, ${fmt(referenced / MB, 1)} MB of bodies (the one read back: ${fmt(mailboxBytes / MB, 1)} MB); medians of ${runs}\n`,
);
console.log('| what | median s | S3 requests | MB | MB/s | requests per GB | vs offsite |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
const reference = (what: string) =>
  median(
    rows.get(
      what.startsWith('store') ? 'store: packs + locations' : 'read mailbox: offsite (ranged, checked)',
    )?.seconds ?? [1],
  );
for (const row of rows.values()) {
  const seconds = median(row.seconds);
  const bytes = median(row.bytes);
  const reqs = median(row.requests);
  const perGb = Number.isNaN(reqs)
    ? '–'
    : fmt((reqs / (row.what.startsWith('store') ? referenced : mailboxBytes)) * GB);
  console.log(
    `| ${row.what} | ${fmt(seconds, 2)} | ${Number.isNaN(reqs) ? '–' : fmt(reqs)} | ${Number.isNaN(bytes) ? '–' : fmt(bytes / MB, 1)} | ${Number.isNaN(bytes) ? '–' : fmt(bytes / MB / seconds, 1)} | ${perGb} | ${fmt(reference(row.what) / seconds, 2)}× |`,
  );
}

// 3. A 5 GB mailbox for a month, from the measured ratios: bytes stored per byte of mail, PUTs per GB, the
// write units the locations took (one item per body, ~250 bytes kept).
const ratio = packStats.bytes / referenced;
const putsPerGb = (packStats.requests / referenced) * GB;
const bodiesPerGb = (packStats.bodies / referenced) * GB;
const mailGb = 5;
const storedGb = mailGb * ratio;
const monthly = (perGb: number) => storedGb * perGb;
const writes = mailGb * bodiesPerGb;
const wcuPerBody = packStats.wcu / packStats.bodies;
const lines: [string, number][] = [
  ['storage, Standard (first 30 days)', monthly(PRICE.standardGbMonth)],
  ['storage, Glacier Instant Retrieval (after)', monthly(PRICE.glacierIrGbMonth)],
  ['PUTs to write it once', ((mailGb * putsPerGb) / 1000) * PRICE.putPer1000],
  ['transitions to Glacier IR (once)', ((mailGb * putsPerGb) / 1000) * PRICE.transitionPer1000],
  ['DynamoDB: location writes (once)', ((writes * wcuPerBody) / 1e6) * PRICE.dynamoWritePerMillion],
  ['DynamoDB: location items kept', ((writes * 250) / GB) * PRICE.dynamoGbMonth],
  ['one full restore from Glacier IR', storedGb * PRICE.glacierIrRetrievalPerGb],
];
console.log(
  `\nprojected, a ${mailGb} GB mailbox (${fmt(storedGb, 2)} GB stored, ${fmt(mailGb * putsPerGb)} PUTs, ${fmt(writes)} bodies, ${fmt(wcuPerBody, 2)} WCU per body):\n`,
);
console.log('| cost | USD |');
console.log('| --- | ---: |');
for (const [what, usd] of lines) console.log(`| ${what} | ${fmt(usd, 4)} |`);
console.log(`\nprices: ${JSON.stringify(PRICE)}`);
