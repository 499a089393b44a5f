// Golden records: bytes written as commented hex from the server's serializers, without our writer. Each
// must decode to the expected fields, frame exactly (the next record starts right after), and our writer
// must produce the same bytes.
import assert from 'node:assert/strict';
import { encodeRecord } from '#core/redo/encode-record.ts';
import type { OpData, RecordHeader } from '#core/redo/redo-record.ts';
import { hex, intHex } from '#test/support/hex.ts';
import { readEvents } from '#test/support/redo-fixtures.ts';

export const TS = 1700000000123; // 0x0000018bcfe5687b
const TXN = { time: 1700000000, counter: 7 }; // 0x6553f100, 7

/** The 46-byte (≥1.26) or 42-byte record header, as commented hex. */
export function headerHex(opCode: number, major: number, minor: number, mailboxId: number): string {
  const wide = major > 1 || minor >= 26;
  return `
    5a4d5245444f                 // magic "ZMREDO"
    ${intHex(major, 2)} ${intHex(minor, 2)}  // record version
    ${intHex(opCode, 4)}         // op code
    0000018bcfe5687b             // timestamp ms
    00000064                     // changeId 100
    00000000                     // changeConstraint 0
    6553f100 00000007            // txnId 1700000000-7
    ${intHex(mailboxId, wide ? 8 : 4)}  // mailboxId (i64 from 1.26, i32 before)
  `;
}

export function header(opCode: number, major: number, minor: number, mailboxId: number): RecordHeader {
  return {
    version: { major, minor },
    opCode,
    timestamp: TS,
    changeId: 100,
    changeConstraint: 0,
    txnId: TXN,
    mailboxId,
  };
}

/** Records only: they sit right after a 512-byte file header. */
const decodeAll = (bytes: Buffer) =>
  readEvents(bytes, { origin: 512, captureBodies: Number.POSITIVE_INFINITY });

export interface Golden {
  name: string;
  opCode: number;
  version: [number, number];
  mailboxId?: number;
  data: string;
  expected: OpData;
  /** Why our writer (current-format list of ids) cannot reproduce these bytes. */
  legacyIds?: string;
}

export async function checkGolden(g: Golden): Promise<void> {
  const [major, minor] = g.version;
  const mailboxId = g.mailboxId ?? 11;
  const headerBytes = hex(headerHex(g.opCode, major, minor, mailboxId));
  assert.equal(headerBytes.length, major > 1 || minor >= 26 ? 46 : 42);
  const record = Buffer.concat([headerBytes, hex(g.data)]);
  const next = hex(`${headerHex(3, 1, 42, mailboxId)}0000001b`);

  const events = await decodeAll(Buffer.concat([record, next]));
  assert.deepEqual(
    events.map((e) => e.kind),
    ['record', 'record', 'end'],
    JSON.stringify(events.filter((e) => e.kind === 'unparsed')),
  );
  const [first, second] = events;
  assert.ok(first?.kind === 'record' && second?.kind === 'record');
  assert.equal(first.record.offset, 512);
  assert.equal(first.record.length, record.length, 'framing: the record ends where the spec says');
  assert.equal(second.record.offset, 512 + record.length);
  assert.deepEqual(first.record.header, header(g.opCode, major, minor, mailboxId));

  const expected: OpData = { ...g.expected };
  if ('body' in expected && expected.body && 'length' in expected.body) {
    // Body offsets are absolute: after the 512-byte header and this record's fixed part; bodies end records.
    expected.body = { ...expected.body, offset: 512 + record.length - expected.body.length };
  }
  assert.deepEqual(first.record.data, expected);

  if (!g.legacyIds) {
    assert.deepEqual(encodeRecord(header(g.opCode, major, minor, mailboxId), g.expected), record, 'writer');
  }
}
