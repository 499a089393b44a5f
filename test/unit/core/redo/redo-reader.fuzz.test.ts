// Bounded fuzzing: truncated, bit-flipped, spliced and random inputs. The reader must never throw (other
// than a header error), never loop, account for every byte (records and unparsed ranges tile the input)
// and stay within a fixed memory budget.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ByteSource } from '#core/redo/byte-source.ts';
import { RedoHeaderError } from '#core/redo/errors.ts';
import { readRedo } from '#core/redo/redo-reader.ts';
import { seededRandom } from '#core/seeded-random.ts';
import {
  committedTransaction,
  everyLayoutOp,
  fileHeaderBytes,
  sampleRecords,
} from '#test/support/redo-fixtures.ts';

// `npm test` fuzzes for a few seconds; the soak suite asks for a count (OFFSITE_FUZZ_INPUTS, e.g. 1,000,000).
const INPUTS = Number(process.env.OFFSITE_FUZZ_INPUTS ?? 0);
const BUDGET_MS = 4000;
// Mail records, then one committed record of every op framed by layout: mutations hit every decoder.
const base = Buffer.concat([
  fileHeaderBytes(),
  ...sampleRecords(60, 7),
  ...everyLayoutOp().flatMap((data, i) => committedTransaction(data, 1000 + i)),
]);

/** A source that counts what is read, to catch re-read loops. */
function countingSource(bytes: Buffer): ByteSource & { bytesRead: number } {
  const source = {
    bytesRead: 0,
    read: async (position: number, length: number) => {
      const out = bytes.subarray(position, Math.min(bytes.length, position + length));
      source.bytesRead += out.length;
      return out;
    },
    readInto: async (target: Buffer, position: number) => {
      const n = bytes.copy(target, 0, Math.min(position, bytes.length));
      source.bytesRead += n;
      return n;
    },
    size: async () => bytes.length,
    close: async () => {},
  };
  return source;
}

function mutate(random: () => number): { name: string; bytes: Buffer } {
  const pick = Math.floor(random() * 6);
  const bytes = Buffer.from(base);
  if (pick === 5) {
    // The 512-byte file header: the reader parses it or refuses it with a header error, nothing else.
    const flips = 1 + Math.floor(random() * 8);
    for (let i = 0; i < flips; i++) {
      const at = Math.floor(random() * 512);
      bytes[at] =
        random() < 0.5 ? Math.floor(random() * 256) : (bytes[at] as number) ^ (1 << Math.floor(random() * 8));
    }
    return { name: `${flips} header bytes changed`, bytes };
  }
  if (pick === 0) {
    const cut = 512 + Math.floor(random() * (base.length - 512));
    return { name: `truncated at ${cut}`, bytes: bytes.subarray(0, cut) };
  }
  if (pick === 1) {
    const flips = 1 + Math.floor(random() * 20);
    for (let i = 0; i < flips; i++) {
      const at = 512 + Math.floor(random() * (bytes.length - 512));
      bytes[at] = (bytes[at] as number) ^ (1 << Math.floor(random() * 8));
    }
    return { name: `${flips} bit flips`, bytes };
  }
  if (pick === 2) {
    for (let i = 512; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
    return { name: 'random records area', bytes };
  }
  if (pick === 3) {
    // Splice: a chunk of the log copied over another place (records cut mid-way on both sides).
    const from = 512 + Math.floor(random() * (bytes.length - 1024));
    const to = 512 + Math.floor(random() * (bytes.length - 1024));
    bytes.copy(bytes, to, from, from + 1 + Math.floor(random() * 500));
    return { name: `splice ${from}→${to}`, bytes };
  }
  const huge = Buffer.alloc(4);
  huge.writeInt32BE(0x7ffffff0);
  const at = 512 + Math.floor(random() * (bytes.length - 516));
  huge.copy(bytes, at);
  return { name: `huge length at ${at}`, bytes };
}

describe('redo reader fuzz', () => {
  it(
    INPUTS > 0 ? `survives ${INPUTS} mutated inputs` : `survives mutated inputs for ${BUDGET_MS} ms`,
    async () => {
      const random = seededRandom(20261122);
      const started = Date.now();
      let cases = 0;
      let heapPeak = 0;
      const heapBefore = process.memoryUsage().heapUsed;
      while (INPUTS > 0 ? cases < INPUTS : Date.now() - started < BUDGET_MS) {
        const { name, bytes } = mutate(random);
        const source = countingSource(bytes);
        const chunkSize = 1 + Math.floor(random() * 70000);
        for (const final of [true, false]) {
          let expected = 512;
          let last: string | undefined;
          let events = 0;
          try {
            for await (const e of readRedo(source, { final, chunkSize, captureBodies: 4096 })) {
              events++;
              assert.ok(events <= bytes.length, `${name}: more events than bytes (a loop)`);
              if (e.kind === 'record') {
                assert.equal(
                  e.record.offset,
                  expected,
                  `${name}: record at ${e.record.offset}, expected ${expected}`,
                );
                expected += e.record.length;
                // Decoded when asked: a record the reader gave must decode (it checked every field).
                assert.ok(e.record.data.op && e.record.header.opCode >= 0, `${name}: record without data`);
              } else if (e.kind === 'unparsed') {
                assert.equal(e.offset, expected, `${name}: gap before unparsed range`);
                assert.ok(e.end > e.offset && e.reason.length > 0, `${name}: empty unparsed range`);
                expected = e.end;
              } else if (e.kind === 'end' || e.kind === 'incomplete') {
                assert.equal(e.offset, expected, `${name}: ${e.kind} at ${e.offset}, expected ${expected}`);
                if (e.kind === 'end') assert.equal(e.offset, bytes.length);
              }
              last = e.kind;
            }
          } catch (error) {
            assert.ok(error instanceof RedoHeaderError, `${name}: reader threw ${String(error)}`);
            continue;
          }
          assert.ok(last === 'end' || last === 'incomplete', `${name}: stream ended without end/incomplete`);
        }
        // Re-reads happen only around corruption; a loop would read the file many times over.
        assert.ok(
          source.bytesRead < bytes.length * 40 + 10_000_000,
          `${name}: read ${source.bytesRead} bytes`,
        );
        heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed - heapBefore);
        cases++;
      }
      assert.ok(cases > 20, `only ${cases} cases ran`);
      assert.ok(heapPeak < 256 * 1024 * 1024, `heap grew by ${heapPeak} bytes`);
      const seconds = (Date.now() - started) / 1000;
      process.stdout.write(
        `# soak ${JSON.stringify({ step: 'redo reader fuzz', inputs: cases, crashes: 0, hangs: 0, heapPeakMiB: Math.round(heapPeak / 1048576), seconds })}\n`,
      );
    },
  );
});
