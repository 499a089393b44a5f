import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteCursor } from '#core/redo/byte-cursor.ts';
import { bufferSource } from '#core/redo/byte-source.ts';
import { decodeOpData, decodeRecordHeader } from '#core/redo/decode-record.ts';
import { encodeRecord } from '#core/redo/encode-record.ts';
import { readRedoBatches } from '#core/redo/redo-reader.ts';
import type { RedoRecord } from '#core/redo/redo-record.ts';
import {
  createMessageOp,
  everyLayoutOp,
  fileHeaderBytes,
  recordHeader,
  sampleRecords,
} from '#test/support/redo-fixtures.ts';

const file = Buffer.concat([
  fileHeaderBytes(),
  ...everyLayoutOp().map((data, i) => encodeRecord(recordHeader(data, i + 1), data)),
  ...sampleRecords(60, 7),
]);

async function recordsOf(bytes: Buffer, chunkSize: number, captureBodies: number): Promise<RedoRecord[]> {
  const records: RedoRecord[] = [];
  for await (const batch of readRedoBatches(bufferSource(bytes), { chunkSize, captureBodies }))
    for (const e of batch) if (e.kind === 'record') records.push(e.record);
  return records;
}

describe('records decoded when asked', () => {
  it('decode, after the reader has moved on through many windows, as a full decode at their offset does', async () => {
    const records = await recordsOf(file, 300, 4096);
    assert.ok(records.length > 100, `${records.length} records`);
    for (const record of records) {
      const cursor = new ByteCursor(file, 0, record.offset, 4096);
      const header = decodeRecordHeader(cursor);
      const data = decodeOpData(cursor, header);
      assert.deepEqual(record.header, header);
      assert.deepEqual(record.data, data, `record at ${record.offset}`);
      assert.equal(cursor.pos, record.offset + record.length, `${header.opCode}: measured length`);
    }
  });

  it('decode as a full decode does when records are cut by chunks and longer than the room before a chunk', async () => {
    // A record cut by a chunk's end is joined with the next chunk: its tail goes into the room kept before
    // the chunk (64 KiB) when it fits, and both are copied into a new buffer when it does not.
    const bodies = [10, 70_000, 200_000, 300, 65_000, 1_000_000, 5].map((n, i) =>
      Buffer.alloc(n, `body ${i} `),
    );
    const big = Buffer.concat([
      fileHeaderBytes(),
      ...bodies.flatMap((body, i) => {
        const data = createMessageOp(i + 1, body);
        return [encodeRecord(recordHeader(data, i + 1), data), ...sampleRecords(3, i)];
      }),
    ]);
    for (const chunkSize of [1000, 40_000, 100_000, 1 << 20]) {
      const records = await recordsOf(big, chunkSize, 1 << 20);
      assert.equal(records.length, bodies.length * 7, `chunks of ${chunkSize}`);
      for (const record of records) {
        const cursor = new ByteCursor(big, 0, record.offset, 1 << 20);
        const header = decodeRecordHeader(cursor);
        assert.deepEqual(record.header, header, `header at ${record.offset}, chunks of ${chunkSize}`);
        assert.deepEqual(record.data, decodeOpData(cursor, header), `record at ${record.offset}`);
      }
    }
  });

  it('are their own event: one object per record found', async () => {
    const events = [];
    for await (const batch of readRedoBatches(bufferSource(file))) events.push(...batch);
    const records = events.filter((e) => e.kind === 'record');
    assert.ok(records.length > 100);
    for (const e of records) assert.equal(e.record, e);
  });

  it('decode once: the same objects every time they are asked for', async () => {
    const [first, second] = (await recordsOf(file, 1 << 20, 0)).slice(0, 2);
    assert.ok(first && second);
    assert.equal(second.data, second.data);
    assert.equal(second.header, second.header);
    const header = first.header;
    assert.equal(first.data.op, 'BackupMailbox');
    assert.equal(first.header, header, 'the header read first is the one kept');
  });

  it('show every decoded field to JSON', async () => {
    const [record] = await recordsOf(file, 1 << 20, 0);
    assert.ok(record);
    const json = JSON.parse(JSON.stringify(record)) as RedoRecord;
    assert.deepEqual(Object.keys(json), ['offset', 'length', 'header', 'data']);
    assert.equal(json.data.op, record.data.op);
    assert.equal(json.header.txnId.counter, 1);
  });
});
