// Redo reader throughput on a generated log (default 1 GiB) next to the raw read speed of the same file on
// the same machine. Medians of several runs; ratios to the raw read. Usage:
//   npm run bench -- [--size-mib 1024] [--runs 3]
import { createReadStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { median } from '#bench/stats.ts';
import { fileSource } from '#core/redo/byte-source.ts';
import { readRedo, readRedoBatches } from '#core/redo/redo-reader.ts';
import type { RedoRecord } from '#core/redo/redo-record.ts';
import { fileHeaderBytes, sampleRecords } from '#test/support/redo-fixtures.ts';

const { values } = parseArgs({
  options: { 'size-mib': { type: 'string', default: '1024' }, runs: { type: 'string', default: '3' } },
});
const sizeBytes = Number(values['size-mib']) * 1024 * 1024;
const runs = Number(values.runs);
const path = join(tmpdir(), `offsite-bench-redo-${process.pid}.log`);

async function generate(): Promise<number> {
  // A pool of real encoded transactions (messages with 0–3 KB bodies, moves, folders, contacts + commits),
  // repeated to the target size: the reader's work per byte is what a mailbox server's log asks of it.
  const pool = Buffer.concat(sampleRecords(2000, 3));
  const file = await open(path, 'w');
  await file.write(fileHeaderBytes(), 0, 512, 0);
  let size = 512;
  while (size < sizeBytes) {
    await file.write(pool, 0, pool.length, size);
    size += pool.length;
  }
  await file.close();
  return size;
}

async function rawRead(): Promise<{ bytes: number; ops: number }> {
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }))
    bytes += (chunk as Buffer).length;
  return { bytes, ops: 0 };
}

/** How much of each record the consumer asks for: records are decoded only as far as they are read. */
type Use = 'found' | 'headers' | 'everything';

function use(record: RedoRecord, what: Use): number {
  if (what === 'headers') return record.header.timestamp > 0 ? 1 : 0;
  if (what === 'everything') return record.data.op.length > 0 && record.header.txnId.counter >= 0 ? 1 : 0;
  return 1;
}

/** One event at a time (`readRedo`): an async step per record. */
async function reader(what: Use): Promise<{ bytes: number; ops: number }> {
  const source = await fileSource(path);
  let ops = 0;
  let end = 0;
  for await (const e of readRedo(source)) {
    if (e.kind === 'record') ops += use(e.record, what);
    else if (e.kind === 'end') end = e.offset;
    else if (e.kind !== 'header') throw new Error(`unexpected ${e.kind} event`);
  }
  await source.close();
  return { bytes: end, ops };
}

/** The batch interface the agent and the indexer use: one async step per read chunk, not per record. */
async function batchReader(what: Use, captureBodies = 0): Promise<{ bytes: number; ops: number }> {
  const source = await fileSource(path);
  let ops = 0;
  let end = 0;
  for await (const batch of readRedoBatches(source, { captureBodies }))
    for (const e of batch) {
      if (e.kind === 'record') ops += use(e.record, what);
      else if (e.kind === 'end') end = e.offset;
      else if (e.kind !== 'header') throw new Error(`unexpected ${e.kind} event`);
    }
  await source.close();
  return { bytes: end, ops };
}

async function measure(name: string, fn: () => Promise<{ bytes: number; ops: number }>) {
  const seconds: number[] = [];
  // One run first, not timed: the JIT's first compilation of this path is not what a long-running reader costs.
  let result = await fn();
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    result = await fn();
    seconds.push(Number(process.hrtime.bigint() - started) / 1e9);
  }
  const s = median(seconds);
  return {
    name,
    mbs: result.bytes / 1024 / 1024 / s,
    opsPerSecond: result.ops / s,
    seconds: s,
    ops: result.ops,
  };
}

const size = await generate();
try {
  const rows = [
    await measure('raw read (1 MiB chunks)', rawRead),
    await measure('batches, records found (every field checked)', () => batchReader('found')),
    await measure('batches, headers decoded (what shipping reads)', () => batchReader('headers')),
    await measure('batches, everything decoded, bodies copied (what indexing reads)', () =>
      batchReader('everything', Number.POSITIVE_INFINITY),
    ),
    await measure('one event at a time, headers decoded', () => reader('headers')),
  ];
  const raw = rows[0]?.mbs ?? 1;
  process.stdout.write(
    `redo log ${(size / 1024 / 1024).toFixed(0)} MiB, median of ${runs} runs, Node ${process.version}\n\n`,
  );
  process.stdout.write('| reader | MiB/s | ops/s | vs raw read | median s |\n|---|---:|---:|---:|---:|\n');
  for (const r of rows) {
    const ops = r.ops > 0 ? Math.round(r.opsPerSecond).toLocaleString('en-US') : '–';
    process.stdout.write(
      `| ${r.name} | ${r.mbs.toFixed(0)} | ${ops} | ${(r.mbs / raw).toFixed(2)}× | ${r.seconds.toFixed(2)} |\n`,
    );
  }
} finally {
  await rm(path, { force: true });
}
