import { opCodeOf } from '#core/redo/op-codes.ts';
import type { CreateMessageData, OpData, RedoRecord } from '#core/redo/redo-record.ts';
import type { MailStateReplayer } from '#core/redo/replay-mail-state.ts';
import { LATEST_VERSION } from '#core/redo/version.ts';
import { zimbraDigest } from '#core/zimbra-digest.ts';
import { createMessageOp } from '#test/support/redo-fixtures.ts';

let offset = 512;

/** Applies each op as a committed transaction of its own in mailbox 1, at increasing positions and times. */
export function applyOps(replayer: MailStateReplayer, ...ops: OpData[]): void {
  applyOpsAt(replayer, undefined, ...ops);
}

/** The same, every record stamped `time` (ms) when given. */
export function applyOpsAt(replayer: MailStateReplayer, time: number | undefined, ...ops: OpData[]): void {
  const record = (data: OpData): RedoRecord => {
    const r: RedoRecord = {
      offset,
      length: 10,
      header: {
        version: LATEST_VERSION,
        opCode: opCodeOf(data.op) ?? 0,
        timestamp: time ?? 1_795_000_000_000 + offset,
        changeId: offset,
        changeConstraint: 0,
        txnId: { time: 1, counter: offset },
        mailboxId: 1,
      },
      data,
    };
    offset += 10;
    return r;
  };
  for (const data of ops) {
    const op = record(data);
    replayer.apply({
      txnId: op.header.txnId,
      commitTime: op.header.timestamp,
      commit: record({ op: 'CommitTxn', txnOpCode: op.header.opCode }),
      ops: [op],
    });
  }
}

/** A Briefcase document saved (`SaveDocument`) or revised (`AddDocumentRevision`) with `text` as its bytes. */
export function documentOp(docId: number, text: string, op: 'SaveDocument' | 'AddDocumentRevision'): OpData {
  const content = Buffer.from(text);
  const { op: _message, ...message } = createMessageOp(0, content, {
    rcptEmail: '',
    receivedDate: 1_795_000_000_000,
    digest: zimbraDigest(content),
    msgId: op === 'SaveDocument' ? docId : docId + 1000,
    folderId: 16,
    tags: null,
    path: null,
  }) as CreateMessageData & { op: 'CreateMessage' };
  const fields = {
    ...message,
    filename: `${text}.txt`,
    mimeType: 'text/plain',
    author: 'ann@example.com',
    itemType: 8,
    description: 'd',
    descriptionEnabled: true,
    uuid: null,
  };
  return op === 'SaveDocument' ? { op, ...fields } : { op, docId, ...fields };
}
