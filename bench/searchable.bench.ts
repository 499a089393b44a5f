// From a message written to redo.log to the index holding it, on the local cloud with the whole pipeline
// running: the agent's daemon at its default settings, S3 and the FIFO ingest queue (fauxqs), the queue's
// event source and the indexer function's bundle, DynamoDB Local. For each step of a simulated mail host it
// takes the time until S3 acknowledges the segment that holds it (recovery point) and until the server's
// index cursor passes it (the items are in the index: search, "mailbox as of T" and restores see it), on a
// busy host (20 steps/s) and a quiet one (a step every 1–3 s).
// Usage: npm run bench:search -- [--seconds 20]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { parseAgentConfig } from '#agent/config/agent-config.ts';
import { memoryLog } from '#agent/observability.ts';
import { Shipper } from '#agent/ship/shipper.ts';
import { startBenchCloud } from '#bench/bench-helpers.ts';
import { median, percentile } from '#bench/stats.ts';
import { indexKeys } from '#core/index-keys.ts';
import { seededRandom } from '#core/seeded-random.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import { LOCAL_REGION } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { indexTable, useLocalIndex } from '#test/support/index-checks.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '20' } } });
const seconds = Number(values.seconds);
const random = seededRandom(23);

const work = mkdtempSync(join(tmpdir(), 'offsite-bench-search-'));
const cloud = await startBenchCloud('fauxqs', work);
try {
  useLocalIndex(cloud);
  const table = indexTable(cloud);
  const bucket = cloud.outputs.BackupBucketName ?? '';
  const queueUrl = cloud.outputs.IngestQueueUrl ?? '';
  const loads = [
    { name: 'busy: 20 steps/s', gapMs: () => 50, seconds },
    // Three times as long: as many samples as the percentiles need.
    { name: 'quiet: a step every 1–3 s', gapMs: () => 1000 + random() * 2000, seconds: seconds * 3 },
  ];
  console.log(
    `\nA simulated host's steps (deliveries, moves, flags, calendar items…) for ${seconds} s busy and ${seconds * 3} s quiet, the agent at its default settings, the indexer behind its queue (medians and 99th percentiles, ms):\n`,
  );
  console.log(
    '| load | steps | append → in S3, median | p99 | append → indexed, median | p99 | segment PUTs/s |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const [n, load] of loads.entries()) {
    const serverId = `searchable-${n}`;
    const sim = new MailHostSimulator({
      hostDir: join(work, serverId),
      serverId,
      seed: 31 + n,
      accounts: 5,
      tickMaxMs: 100,
      // One redo file throughout: offsets then order every write, segment and cursor position.
      rolloverBytes: 1024 ** 3,
    });
    sim.run(50); // accounts and some mail before the agent starts
    const acked: { first: number; last: number; at: number }[] = [];
    const s3 = new S3Client({
      region: LOCAL_REGION,
      endpoint: cloud.endpoints.s3,
      forcePathStyle: true,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const m = /\/(\d+)-(\d+)\.[0-9a-f]{64}$/.exec(String((args.input as { Key?: string }).Key ?? ''));
        if (context.commandName === 'PutObjectCommand' && m)
          acked.push({ first: Number(m[1]), last: Number(m[2]), at: performance.now() });
        return result;
      },
      { step: 'initialize' },
    );
    const shipper = await Shipper.open({
      config: parseAgentConfig({
        serverId,
        zimbraHome: sim.hostDir,
        stateDir: join(work, `${serverId}-state`),
        aws: { region: LOCAL_REGION, bucket, ingestQueueUrl: queueUrl },
        metrics: { enabled: false },
      }),
      s3,
      sqs: cloud.clients.sqs,
      log: memoryLog(),
    });
    const controller = new AbortController();
    const running = shipper.run(controller.signal);
    // The index cursor, polled: everything before (seq, offset) is applied.
    const indexed: { offset: number; at: number }[] = [];
    let polling = true;
    const poller = (async () => {
      const documents = dynamodb();
      while (polling) {
        const out = await documents.send(
          new GetCommand({
            TableName: table,
            Key: { pk: indexKeys.server(serverId), sk: indexKeys.cursor },
            ConsistentRead: true,
          }),
        );
        const offset = Number(out.Item?.offset ?? 0);
        if (offset > (indexed.at(-1)?.offset ?? 0)) indexed.push({ offset, at: performance.now() });
        await sleep(10);
      }
    })();
    // Catch up with what was written before the start, then measure.
    const startEnd = sim.redo.position().offset;
    while ((indexed.at(-1)?.offset ?? 0) < startEnd) await sleep(50);
    const written: { end: number; at: number }[] = [];
    const started = performance.now();
    while (performance.now() < started + load.seconds * 1000) {
      const before = sim.redo.position().offset;
      sim.step();
      const end = sim.redo.position().offset;
      if (end > before) written.push({ end, at: performance.now() });
      await sleep(load.gapMs());
    }
    const writing = (performance.now() - started) / 1000;
    const puts = acked.filter((a) => a.at >= started && a.at <= started + writing * 1000).length;
    const last = written.at(-1)?.end ?? 0;
    const deadline = performance.now() + 30_000;
    while ((indexed.at(-1)?.offset ?? 0) < last && performance.now() < deadline) await sleep(50);
    polling = false;
    await poller;
    controller.abort();
    await running;
    sim.close();
    s3.destroy();
    const durable = written.flatMap((w) => {
      const ack = acked.find((a) => a.first < w.end && a.last >= w.end);
      return ack ? [ack.at - w.at] : [];
    });
    const searchable = written.flatMap((w) => {
      const seen = indexed.find((i) => i.offset >= w.end);
      return seen ? [seen.at - w.at] : [];
    });
    console.log(
      `| ${load.name} | ${written.length} | ${median(durable).toFixed(0)} | ${percentile(durable, 99).toFixed(0)} | ${median(searchable).toFixed(0)} | ${percentile(searchable, 99).toFixed(0)} (${searchable.length}/${written.length}) | ${(puts / writing).toFixed(2)} |`,
    );
  }
} finally {
  await cloud.stop();
  rmSync(work, { recursive: true, force: true });
}
