// The indexer and the index's point-in-time queries, on the local cloud (DynamoDB Local, fauxqs S3):
//   1. throughput: a simulated host's redo log shipped by the agent, then indexed by the indexer's code
//      (parse, assemble, apply, versions, bodies to the blob store): redo ops per second and DynamoDB
//      capacity per 1,000 ops, next to replaying the same log in memory from the start (what a restore
//      without an index does: Zimbra's redo replay);
//   2. "mailbox as of T": its cost for mailboxes of 1k, 10k and 100k messages with three days of history,
//      at three instants, next to reading the mailbox's whole history (what a scan of versions would cost).
// Usage: npm run bench:index -- [--steps 4000] [--runs 3] [--sizes 1000,10000,100000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { emptyTableLike, startBenchCloud, tableSize } from '#bench/bench-helpers.ts';
import { countCapacity } from '#bench/consumed-capacity.ts';
import { fmt, median } from '#bench/stats.ts';
import { headFromItem } from '#core/index/entity-items.ts';
import { itemIdOf, itemKey, MAILBOX_KEY } from '#core/index/index-entity.ts';
import { redoPosition } from '#core/index/redo-position.ts';
import { VersionOverlay } from '#core/index/version-overlay.ts';
import { entityKeys, scopeKeys } from '#core/index-keys.ts';
import { FLAG, FOLDER_ID } from '#core/mail-item.ts';
import { systemFolders } from '#core/mail-snapshot.ts';
import { MailStateReplayer } from '#core/redo/replay-mail-state.ts';
import { setS3 } from '#functions/clients/s3.ts';
import { getAll } from '#functions/index/batch-requests.ts';
import { handleIngest } from '#functions/index/handle-ingest.ts';
import { persistOverlay } from '#functions/index/persist-overlay.ts';
import { mailboxAsOf } from '#functions/query/mailbox-as-of.ts';
import { queryAll } from '#functions/query/query-all.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { privateIndexerConfig, shipAndCollect } from '#test/support/collected-announcements.ts';
import { indexTable, useLocalIndex } from '#test/support/index-checks.ts';
import { simulatedTransactions } from '#test/support/simulated-transactions.ts';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '4000' },
    runs: { type: 'string', default: '3' },
    sizes: { type: 'string', default: '1000,10000,100000' },
  },
});
const steps = Number(values.steps);
const runs = Number(values.runs);
const sizes = values.sizes.split(',').map(Number);

const work = mkdtempSync(join(tmpdir(), 'offsite-bench-index-'));
const cloud = await startBenchCloud('fauxqs', work);
try {
  const documents = useLocalIndex(cloud);
  const capacity = countCapacity(documents);
  setS3(cloud.clients.s3);
  const table = indexTable(cloud);
  const config = await privateIndexerConfig(cloud, 'bench-announcements');

  // --- 1. throughput -------------------------------------------------------------------------------
  const sim = new MailHostSimulator({
    hostDir: join(work, 'host'),
    seed: 9,
    accounts: 20,
    tickMaxMs: 30_000,
  });
  sim.run(steps);
  sim.close();
  const rows: string[] = [];
  const indexed: { ms: number; ops: number; wcu: number; rcu: number; segments: number }[] = [];
  let lastRunTable = table;
  for (let r = 0; r < runs; r++) {
    const serverId = `bench-${r}`;
    // Each run into an empty index: bodies the run before stored are new again (the first time a server
    // sends a body is the cost that matters; a second run into one index located them all already).
    const runConfig = {
      ...config,
      indexTable: await emptyTableLike(cloud.clients.dynamodb, table, `${table}-run${r}`),
    };
    lastRunTable = runConfig.indexTable;
    const messages = await shipAndCollect(cloud, config, {
      serverId,
      hostDir: sim.hostDir,
      stateDir: join(work, `state-${r}`),
    });
    capacity.reset();
    const start = performance.now();
    let ops = 0;
    let segments = 0;
    for (const m of messages) {
      const out = await handleIngest(m, runConfig, Number.MAX_SAFE_INTEGER);
      for (const s of out.outcome?.indexed ?? []) {
        ops += s.ops;
        segments++;
      }
    }
    indexed.push({
      ms: performance.now() - start,
      ops,
      wcu: capacity.writeUnits,
      rcu: capacity.readUnits,
      segments,
    });
  }
  const replay: number[] = [];
  let replayOps = 0;
  let deliveries = 0;
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    const txns = await simulatedTransactions(sim.hostDir);
    const replayer = new MailStateReplayer();
    for (const { txn } of txns) replayer.apply(txn);
    replay.push(performance.now() - start);
    replayOps = txns.reduce((sum, { txn }) => sum + txn.ops.length, 0);
    deliveries = txns.reduce(
      (sum, { txn }) => sum + txn.ops.filter((o) => o.data.op === 'CreateMessage').length,
      0,
    );
  }
  const ops = indexed[0]?.ops ?? 0;
  const indexMs = median(indexed.map((i) => i.ms));
  rows.push(
    `| indexer (parse, apply, versions, packs, DynamoDB) | ${fmt(ops)} | ${fmt(median(indexed.map((i) => i.segments)))} | ${fmt((ops / indexMs) * 1000)} | ${fmt((median(indexed.map((i) => i.wcu)) / ops) * 1000)} | ${fmt((median(indexed.map((i) => i.rcu)) / ops) * 1000)} |`,
    `| replay in memory from the start (no index) | ${fmt(replayOps)} | – | ${fmt((replayOps / median(replay)) * 1000)} | – | – |`,
  );
  process.stdout.write(
    `\nIndexer throughput: ${steps} simulator steps, 20 accounts, median of ${runs} runs\n\n` +
      '| path | redo ops | segments | ops/s | WCU per 1k ops | RCU per 1k ops |\n| --- | ---: | ---: | ---: | ---: | ---: |\n' +
      `${rows.join('\n')}\n`,
  );
  // What the index costs a mailbox per message it receives, with what happens to it after (moves, flags,
  // deletes, folders, contacts, calendars): every write of the log over its deliveries.
  const wcuPerMessage = median(indexed.map((i) => i.wcu)) / deliveries;
  const kept = await tableSize(documents, lastRunTable);
  process.stdout.write(
    `\nEvery write of the log over its ${fmt(deliveries)} deliveries: ${fmt(wcuPerMessage, 2)} write units per message received; ` +
      `the index kept ${fmt(kept.items)} items, ${fmt(kept.bytes / deliveries)} bytes per message.\n`,
  );

  // --- 2. mailbox as of T ------------------------------------------------------------------------------
  const DAY = 86_400_000;
  const t0 = Date.UTC(2026, 10, 1);
  const table2: string[] = [];
  for (const size of sizes) {
    const serverId = 'bench-asof';
    const mailboxId = size;
    let txn = 0;
    // Positions in write order: one file, the offset a counter.
    const at = (_time: number) => redoPosition(0n, ++txn);
    // Day 1: the mailbox and `size` messages; day 2: half of them moved; day 3: a fifth deleted.
    const write = async (
      fill: (overlay: VersionOverlay) => void,
      load: (overlay: VersionOverlay) => void,
    ) => {
      const overlay = new VersionOverlay();
      load(overlay);
      fill(overlay);
      await persistOverlay(table, serverId, overlay, {
        commit: [{ Put: { TableName: table, Item: { pk: 'BENCH', sk: `${size}-${txn}` } } }],
      });
      return overlay;
    };
    const heads = new Map<number, ReturnType<VersionOverlay['head']>>();
    const chunk = 5000;
    await write(
      (o) => {
        o.begin(at(t0), t0, 'CreateMailbox');
        o.set(mailboxId, MAILBOX_KEY, { kind: 'mailbox', accountId: `acct-${size}`, renamedTo: null });
        for (const [id, f] of Object.entries(systemFolders()))
          o.set(mailboxId, itemKey(id), { kind: 'folder', ...f });
      },
      (o) => {
        o.load(mailboxId, MAILBOX_KEY, null);
        for (const id of Object.keys(systemFolders())) o.load(mailboxId, itemKey(id), null);
      },
    );
    const phase = async (
      ids: number[],
      time: (i: number) => number,
      op: string,
      change: (id: number) => ReturnType<VersionOverlay['get']>,
    ) => {
      for (let i = 0; i < ids.length; i += chunk) {
        const part = ids.slice(i, i + chunk);
        await write(
          (o) => {
            for (const [j, id] of part.entries()) {
              o.begin(at(time(i + j)), time(i + j), op);
              o.set(mailboxId, itemKey(id), change(id));
            }
          },
          (o) => {
            for (const id of part) o.load(mailboxId, itemKey(id), heads.get(id) ?? null);
          },
        );
        // Read back as the indexer loads them: a head's item carries the versions riding in it.
        const keysOf = (id: number) => entityKeys(serverId, mailboxId, itemKey(id));
        const stored = await getAll(
          table,
          part.map((id) => ({ pk: keysOf(id).pk, sk: keysOf(id).head })),
        );
        for (const id of part) heads.set(id, null);
        for (const item of stored) {
          const { mailboxId: _m, key, ...head } = headFromItem(item);
          heads.set(itemIdOf(key) as number, head);
        }
      }
    };
    const all = Array.from({ length: size }, (_, i) => 257 + i);
    const message = (id: number, folderId: number) => ({
      kind: 'message' as const,
      folderId,
      flags: FLAG.unread,
      tags: [],
      digest: `d${id}`,
      size: 2000 + (id % 5000),
      sha256: id.toString(16).padStart(64, '0'),
      receivedDate: t0,
      subject: `message ${id}`,
      from: `sender${id % 50}@example.net`,
    });
    await phase(
      all,
      (i) => t0 + 1000 + Math.floor((i * (DAY - 2000)) / size),
      'CreateMessage',
      (id) => message(id, FOLDER_ID.inbox),
    );
    await phase(
      all.filter((id) => id % 2 === 0),
      (i) => t0 + DAY + Math.floor((i * DAY) / size),
      'MoveItem',
      (id) => message(id, FOLDER_ID.sent),
    );
    await phase(
      all.filter((id) => id % 5 === 0),
      (i) => t0 + 2 * DAY + Math.floor((i * DAY) / (size / 2)),
      'DeleteItem',
      () => null,
    );

    const keys = scopeKeys(serverId, mailboxId);
    const history: number[] = [];
    let historyItems = 0;
    let historyRcu = 0;
    for (let r = 0; r < runs; r++) {
      const start = performance.now();
      const [h, v] = await Promise.all(
        ['H#', 'V#'].map((prefix) =>
          queryAll({
            TableName: table,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
            ExpressionAttributeValues: { ':pk': keys.pk, ':p': prefix },
          }),
        ),
      );
      history.push(performance.now() - start);
      historyItems = (h?.items.length ?? 0) + (v?.items.length ?? 0);
      historyRcu = (h?.readUnits ?? 0) + (v?.readUnits ?? 0);
    }
    table2.push(
      `| ${fmt(size)} | whole history (scan of versions) | – | ${fmt(historyItems)} | ${fmt(historyRcu, 1)} | ${fmt(median(history))} |`,
    );
    for (const [label, time] of [
      ['now (after day 3)', t0 + 4 * DAY],
      ['day 2, mid-move', t0 + 1.5 * DAY],
      ['end of day 1', t0 + DAY - 1],
    ] as const) {
      const ms: number[] = [];
      let found: Awaited<ReturnType<typeof mailboxAsOf>>;
      for (let r = 0; r < runs; r++) {
        const start = performance.now();
        found = await mailboxAsOf(table, serverId, mailboxId, time);
        ms.push(performance.now() - start);
      }
      const messages = [...(found?.entities.values() ?? [])].filter((e) => e.kind === 'message').length;
      table2.push(
        `| ${fmt(size)} | as of ${label} | ${fmt(messages)} | ${fmt(found?.itemsRead ?? 0)} | ${fmt(found?.readUnits ?? 0, 1)} | ${fmt(median(ms))} |`,
      );
    }
  }
  process.stdout.write(
    `\nMailbox as of T: messages created on day 1, half moved on day 2, a fifth deleted on day 3; median of ${runs}\n\n` +
      '| messages | query | messages at T | items read | RCU | ms |\n| ---: | --- | ---: | ---: | ---: | ---: |\n' +
      `${table2.join('\n')}\n`,
  );
} finally {
  await cloud.stop();
  rmSync(work, { recursive: true, force: true });
}
