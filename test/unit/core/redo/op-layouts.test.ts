// Every op code a server writes is framed exactly: decoded by hand or by its layout. Each layout op round
// trips through the writer and the reader at every record version where a field appears or changes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeRecord } from '#core/redo/encode-record.ts';
import { isKnownOpCode, OP, OP_NAMES, opCodeOf } from '#core/redo/op-codes.ts';
import { OP_LAYOUTS } from '#core/redo/op-layouts.ts';
import type { OpData } from '#core/redo/redo-record.ts';
import type { RedoVersion } from '#core/redo/version.ts';
import { everyLayoutOp, readEvents, recordHeader } from '#test/support/redo-fixtures.ts';

const VERSIONS: RedoVersion[] = [
  0, 1, 2, 8, 9, 10, 11, 14, 15, 17, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 33, 36, 37, 38, 39, 40,
  41, 42,
].map((minor) => ({ major: 1, minor }));

/** What a record of version `v` can hold of a sample written for the latest one. */
function forVersion(data: OpData, v: RedoVersion): OpData {
  if (data.op === 'SetCalendarItem') {
    const old = v.minor < 24;
    return {
      ...data,
      ...(v.minor < 33 ? { tags: '4' } : {}),
      ...(old
        ? { exceptions: data.exceptions.map((e) => ({ ...e, message: data.defaultInvite?.message ?? null })) }
        : {}),
    };
  }
  return data;
}

describe('op layouts', () => {
  it('every op code a server writes is framed by a decoder or a layout, and has a sample here', () => {
    const samples = new Set(everyLayoutOp().map((d) => d.op));
    for (const [code, name] of Object.entries(OP_NAMES)) {
      if (!isKnownOpCode(Number(code))) continue;
      const byHand = Object.hasOwn(OP, name);
      const byLayout = Object.hasOwn(OP_LAYOUTS, name);
      assert.ok(byHand !== byLayout, `${name} (${code}) is decoded exactly one way`);
      if (byLayout) assert.ok(samples.has(name as OpData['op']), `${name} has a sample`);
    }
  });

  for (const sample of everyLayoutOp()) {
    it(`${sample.op} round trips and frames exactly at every version`, async () => {
      for (const v of VERSIONS) {
        const data = forVersion(sample, v);
        const header = { ...recordHeader(data, 1), version: v };
        const bytes = encodeRecord(header, data);
        const commit = encodeRecord(
          { ...recordHeader({ op: 'CommitTxn', txnOpCode: header.opCode }, 1), version: v },
          { op: 'CommitTxn', txnOpCode: header.opCode },
        );
        const events = await readEvents(Buffer.concat([bytes, commit]), {
          origin: 512,
          captureBodies: Number.POSITIVE_INFINITY,
        });
        const version = `${v.major}.${v.minor}`;
        assert.deepEqual(
          events.map((e) => e.kind),
          ['record', 'record', 'end'],
          `${version}: ${JSON.stringify(events.find((e) => e.kind === 'unparsed'))}`,
        );
        const [first] = events;
        assert.ok(first?.kind === 'record');
        assert.equal(first.record.length, bytes.length, `${version}: framing`);
        assert.equal(first.record.header.opCode, opCodeOf(sample.op));
        assert.deepEqual(first.record.header, header, `${version}: header`);
        assert.deepEqual(encodeRecord(header, first.record.data), bytes, `${version}: written back the same`);
        if (v.minor === 42) {
          const { body: _b, ...got } = first.record.data as OpData & { body?: unknown };
          const { body: _e, ...want } = data as OpData & { body?: unknown };
          assert.deepEqual(JSON.parse(JSON.stringify(got, bodies)), JSON.parse(JSON.stringify(want, bodies)));
        }
      }
    });
  }
});

/** Raw regions compare by their bytes (their offsets depend on where the record sits). */
function bodies(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && 'length' in value && 'offset' in value) {
    const ref = value as { bytes?: Buffer };
    return ref.bytes ? Buffer.from(ref.bytes).toString('hex') : null;
  }
  return value;
}
