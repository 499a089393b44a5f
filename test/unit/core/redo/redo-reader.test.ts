import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bufferSource } from '#core/redo/byte-source.ts';
import { type RedoEvent, readRedoBatches } from '#core/redo/redo-reader.ts';
import { fileHeaderBytes, plainEvent, readEvents, sampleRecords } from '#test/support/redo-fixtures.ts';

const records = sampleRecords(40);
const file = Buffer.concat([fileHeaderBytes(), ...records]);
const starts: number[] = [];
for (let i = 0, at = 512; i < records.length; at += (records[i] as Buffer).length, i++) starts.push(at);
const summary = (events: RedoEvent[]) =>
  events.map((e) =>
    e.kind === 'record'
      ? `record@${e.record.offset}+${e.record.length}`
      : e.kind === 'unparsed'
        ? `unparsed@${e.offset}-${e.end}`
        : e.kind === 'header'
          ? 'header'
          : `${e.kind}@${e.offset}`,
  );

describe('redo reader framing', () => {
  it('reads the header, every record and a clean end', async () => {
    const events = await readEvents(file);
    assert.deepEqual(summary(events), [
      'header',
      ...records.map((r, i) => `record@${starts[i]}+${r.length}`),
      `end@${file.length}`,
    ]);
  });

  it('gives the same records with a tiny read size (the window grows and slides)', async () => {
    assert.deepEqual(summary(await readEvents(file, { chunkSize: 7 })), summary(await readEvents(file)));
  });

  it('gives the same events in batches, each batch within one read chunk', async () => {
    const chunkSize = 1024;
    const batches: RedoEvent[][] = [];
    for await (const batch of readRedoBatches(bufferSource(file), { chunkSize })) batches.push(batch);
    assert.deepEqual(batches.flat().map(plainEvent), await readEvents(file, { chunkSize }));
    assert.ok(batches.length > 3, `${batches.length} batches`);
    const longest = Math.max(...records.map((r) => r.length));
    for (const batch of batches) {
      const spans = batch.flatMap((e) =>
        e.kind === 'record' ? [e.record.offset, e.record.offset + e.record.length] : [],
      );
      if (spans.length > 0) assert.ok(Math.max(...spans) - Math.min(...spans) <= chunkSize + longest);
    }
  });

  it('hands over at most 256 records a batch, however many a read chunk holds', async () => {
    // Records a consumer still holds outlive the young generation's scavenges: a chunk's worth of small
    // ones at once made V8 allocate them in the old generation and halved a header-reading consumer.
    const many = Buffer.concat([fileHeaderBytes(), ...sampleRecords(600, 3)]);
    const batches: RedoEvent[][] = [];
    for await (const batch of readRedoBatches(bufferSource(many), { chunkSize: 1024 * 1024 }))
      batches.push(batch);
    const sizes = batches.map((b) => b.filter((e) => e.kind === 'record').length);
    assert.ok(Math.max(...sizes) <= 256, `batches of ${sizes.join(', ')} records`);
    assert.ok(sizes.filter((n) => n === 256).length >= 2, `batches of ${sizes.join(', ')} records`);
    assert.deepEqual(batches.flat().map(plainEvent), await readEvents(many));
  });

  it('resumes from any record boundary it reached before', async () => {
    const all = (await readEvents(file)).filter((e) => e.kind === 'record');
    for (const k of [0, 1, 17, records.length - 1]) {
      const resumed = (await readEvents(file, { from: starts[k] })).filter((e) => e.kind === 'record');
      assert.deepEqual(resumed, all.slice(k));
    }
  });

  it('reports an incomplete tail at every cut inside the last record, and never an unparsed range', async () => {
    const last = starts[records.length - 1] as number;
    for (let cut = last + 1; cut < file.length; cut += 1 + Math.floor((file.length - last) / 97)) {
      for (const final of [false, true]) {
        const events = await readEvents(file.subarray(0, cut), { final });
        const tail = events.at(-1);
        assert.deepEqual(summary(tail ? [tail] : [])[0], `incomplete@${last}`, `cut at ${cut}`);
        assert.equal(events.filter((e) => e.kind === 'unparsed').length, 0);
        assert.equal(events.filter((e) => e.kind === 'record').length, records.length - 1);
      }
    }
  });

  it('reports a live file shorter than its header as incomplete, a final one as an error', async () => {
    assert.deepEqual(await readEvents(file.subarray(0, 100), { final: false }), [
      { kind: 'incomplete', offset: 0, needed: 512 },
    ]);
    await assert.rejects(readEvents(file.subarray(0, 100)), /fewer than the 512-byte header/);
  });

  it('reports garbage between records as one unparsed range and reads on', async () => {
    const garbage = Buffer.from('this is not a record at all');
    const k = 10;
    const bytes = Buffer.concat([fileHeaderBytes(), ...records.slice(0, k), garbage, ...records.slice(k)]);
    const events = await readEvents(bytes);
    const unparsed = events.filter((e) => e.kind === 'unparsed');
    assert.deepEqual(
      unparsed.map((e) => [e.offset, e.end]),
      [[starts[k], (starts[k] as number) + garbage.length]],
    );
    assert.equal(events.filter((e) => e.kind === 'record').length, records.length);
  });

  it('skips a record whose length field is corrupt when a later record proves it is not the tail', async () => {
    const k = 5;
    const bytes = Buffer.from(file);
    // CommitTxn data is the committed op code; make the 46-byte header claim a huge string instead:
    // corrupt a CreateMessage's rcptEmail length (first data field) to 30 MiB.
    const index = records.findIndex((r, i) => i >= k && r.readInt32BE(10) === 27);
    const at = (starts[index] as number) + 46;
    bytes.writeInt32BE(30 * 1024 * 1024, at);
    const events = await readEvents(bytes);
    const unparsed = events.filter((e) => e.kind === 'unparsed');
    assert.equal(unparsed.length, 1);
    assert.deepEqual([unparsed[0]?.offset, unparsed[0]?.end], [starts[index], starts[index + 1]]);
    assert.match(unparsed[0]?.kind === 'unparsed' ? unparsed[0].reason : '', /corrupt length/);
    assert.equal(events.filter((e) => e.kind === 'record').length, records.length - 1);
    // A live reader cannot tell this from a torn tail, so it waits there.
    const live = await readEvents(bytes, { final: false });
    assert.deepEqual(summary(live).at(-1), `incomplete@${starts[index]}`);
  });

  it('reports an op code no release writes with its header and the range up to the next record', async () => {
    const k = 3;
    const unknownOp = Buffer.from(records[0] as Buffer);
    unknownOp.writeInt32BE(200, 10); // a code from a release newer than this reader
    const bytes = Buffer.concat([fileHeaderBytes(), ...records.slice(0, k), unknownOp, ...records.slice(k)]);
    const events = await readEvents(bytes);
    const unparsed = events.filter((e) => e.kind === 'unparsed');
    assert.equal(unparsed.length, 1);
    const u = unparsed[0];
    assert.ok(u?.kind === 'unparsed');
    assert.deepEqual(
      [u.offset, u.end, u.header?.opCode],
      [starts[k], (starts[k] as number) + unknownOp.length, 200],
    );
    assert.match(u.reason, /Unknown\(200\) is written by no release this reader knows/);
    // As the last record of a live file its end is unknown: wait; of a closed file: it runs to the end.
    const tail = Buffer.concat([fileHeaderBytes(), ...records.slice(0, k), unknownOp]);
    assert.deepEqual(summary(await readEvents(tail, { final: false })).at(-1), `incomplete@${starts[k]}`);
    assert.deepEqual(summary(await readEvents(tail)).slice(-2), [
      `unparsed@${starts[k]}-${tail.length}`,
      `end@${tail.length}`,
    ]);
  });

  it('locates bodies above the capture limit without copying them', async () => {
    const events = await readEvents(file, { captureBodies: 100 });
    let located = 0;
    for (const e of events) {
      if (
        e.kind !== 'record' ||
        !('body' in e.record.data) ||
        !e.record.data.body ||
        !('length' in e.record.data.body)
      )
        continue;
      const body = e.record.data.body;
      if (body.length > 100) {
        assert.equal(body.bytes, undefined);
        located++;
      } else {
        assert.deepEqual(body.bytes, file.subarray(body.offset, body.offset + body.length));
      }
    }
    assert.ok(located > 0);
  });

  it('reads a segment cut from the middle of a file with absolute offsets', async () => {
    const from = starts[8] as number;
    const to = starts[20] as number;
    const events = await readEvents(file.subarray(from, to), { origin: from });
    assert.deepEqual(summary(events), [
      ...records.slice(8, 20).map((r, i) => `record@${starts[8 + i]}+${r.length}`),
      `end@${to}`,
    ]);
  });
});
