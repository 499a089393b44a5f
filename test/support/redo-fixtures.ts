// Small redo logs for reader tests, written with the writer the golden tests verify.
import { bufferSource } from '#core/redo/byte-source.ts';
import { encodeRecord } from '#core/redo/encode-record.ts';
import { encodeFileHeader } from '#core/redo/file-header.ts';
import { opCodeOf } from '#core/redo/op-codes.ts';
import { type ReadOptions, type RedoEvent, readRedo } from '#core/redo/redo-reader.ts';
import type { CreateMessageData, OpData, RecordHeader } from '#core/redo/redo-record.ts';
import { LATEST_VERSION } from '#core/redo/version.ts';
import { seededRandom } from '#core/seeded-random.ts';

export const SERVER_ID = '0b7a9c1e-1111-4222-8333-944455556666';

export function fileHeaderBytes(open = false): Buffer {
  return encodeFileHeader({
    open,
    fileSize: 0,
    sequence: 1n,
    serverId: SERVER_ID,
    firstOpTime: 1700000000000,
    lastOpTime: 0,
    version: LATEST_VERSION,
    createTime: 1700000000000,
  });
}

export function recordHeader(
  data: OpData,
  txnCounter: number,
  mailboxId = 11,
  timestamp = 1700000000000,
): RecordHeader {
  return {
    version: LATEST_VERSION,
    opCode: opCodeOf(data.op) ?? -1,
    timestamp,
    changeId: txnCounter,
    changeConstraint: 0,
    txnId: { time: 1700000000, counter: txnCounter },
    mailboxId,
  };
}

/** `count` transactions of assorted ops, each followed by its CommitTxn; returns the encoded records. */
export function sampleRecords(count: number, seed = 1): Buffer[] {
  const random = seededRandom(seed);
  const out: Buffer[] = [];
  for (let i = 1; i <= count; i++) {
    const bodyBytes = Buffer.alloc(Math.floor(random() * 3000), `message ${i} `);
    const choices: OpData[] = [
      createMessageOp(i, bodyBytes),
      { op: 'MoveItem', ids: [256 + i], itemType: 5, destFolderId: 3, constraint: null, uidNext: -1 },
      {
        op: 'CreateFolder',
        name: `f${i}`,
        parentId: 1,
        attrs: 0,
        view: 5,
        flags: 0,
        color: 0,
        url: null,
        folderId: 256 + i,
        uuid: null,
        date: null,
        custom: null,
      },
      { op: 'EmptyFolder', folderId: 3, subfolders: false },
      {
        op: 'CreateContact',
        contactId: 256 + i,
        folderId: 7,
        tags: null,
        fields: [['email', `c${i}@example.com`]],
        body: { offset: 0, length: 3, bytes: Buffer.from('vcf') },
      },
    ];
    const data = choices[Math.floor(random() * choices.length)] as OpData;
    out.push(...committedTransaction(data, i));
  }
  return out;
}

/** Every event the reader gives for `bytes`. */
export async function readEvents(bytes: Buffer, options: ReadOptions = {}): Promise<RedoEvent[]> {
  const events: RedoEvent[] = [];
  for await (const e of readRedo(bufferSource(bytes), options)) events.push(e);
  return events;
}

/** A delivery as the server logs it: a CreateMessage with `body` inline, its ids derived from `i`. */
export function createMessageOp(i: number, body: Buffer, overrides: Partial<CreateMessageData> = {}): OpData {
  return {
    op: 'CreateMessage',
    rcptEmail: `user${i}@example.com`,
    receivedDate: 1700000000000 + i,
    shared: false,
    digest: `digest-${i}`,
    size: body.length,
    msgId: 256 + i,
    folderId: 2,
    convId: -1,
    convFirstMsgId: -1,
    mergedConvIds: [],
    calItemId: -1,
    partStat: null,
    flags: 0,
    noICal: false,
    tags: ['a', 'b'],
    path: `/tmp/${i}.msg`,
    custom: null,
    body: { type: 'inline', offset: 0, length: body.length, bytes: body },
    ...overrides,
  };
}

/** Transaction `i`: the encoded record of `data` and its CommitTxn. */
export function committedTransaction(data: OpData, i: number): Buffer[] {
  return [
    encodeRecord(recordHeader(data, i), data),
    encodeRecord(recordHeader({ op: 'CommitTxn', txnOpCode: opCodeOf(data.op) ?? -1 }, i), {
      op: 'CommitTxn',
      txnOpCode: opCodeOf(data.op) ?? -1,
    }),
  ];
}
