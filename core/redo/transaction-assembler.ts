import { isControlOp } from '#core/redo/op-codes.ts';
import { type RedoRecord, type TxnId, txnKey } from '#core/redo/redo-record.ts';

/** A transaction that took effect: its ops in log order, effective at its CommitTxn. */
export interface CommittedTxn {
  txnId: TxnId;
  /** The CommitTxn record's time; with the txn id, the commit's identity (a txn id can be reused). */
  commitTime: number;
  commit: RedoRecord;
  ops: RedoRecord[];
}

/** A transaction still waiting for its CommitTxn or AbortTxn (carried from segment to segment, file to file). */
export interface PendingTxn {
  txnId: TxnId;
  ops: RedoRecord[];
}

export interface AssemblerCounts {
  committed: number;
  aborted: number;
  /** Re-written uncommitted ops after a rollover (or a crash), seen before and ignored. */
  duplicateOps: number;
  /** A CommitTxn whose ops were never seen (reading started after them). */
  orphanCommits: number;
  orphanAborts: number;
}

/**
 * Turns records into committed transactions (spec §2): an op takes effect only at the CommitTxn with its
 * txn id, AbortTxn cancels it. State carries over between files: feed every file's records, in order,
 * to the same assembler (or restore it from `pending()`).
 */
export class TransactionAssembler {
  private readonly open = new Map<string, { txnId: TxnId; ops: RedoRecord[]; seen: Set<string> }>();
  readonly counts: AssemblerCounts = {
    committed: 0,
    aborted: 0,
    duplicateOps: 0,
    orphanCommits: 0,
    orphanAborts: 0,
  };

  constructor(pending: readonly PendingTxn[] = []) {
    for (const txn of pending) for (const op of txn.ops) this.push(op);
  }

  /** Feeds one record; returns the transaction it commits, if it is a CommitTxn with known ops. */
  push(record: RedoRecord): CommittedTxn | undefined {
    const key = txnKey(record.header.txnId);
    const { data } = record;
    if (data.op === 'CommitTxn') {
      const txn = this.open.get(key);
      this.open.delete(key);
      if (!txn) {
        this.counts.orphanCommits++;
        return undefined;
      }
      this.counts.committed++;
      return { txnId: txn.txnId, commitTime: record.header.timestamp, commit: record, ops: txn.ops };
    }
    if (data.op === 'AbortTxn') {
      if (this.open.delete(key)) this.counts.aborted++;
      else this.counts.orphanAborts++;
      return undefined;
    }
    if (isControlOp(record.header.opCode)) return undefined; // Checkpoint: informational
    let txn = this.open.get(key);
    if (!txn) {
      txn = { txnId: record.header.txnId, ops: [], seen: new Set() };
      this.open.set(key, txn);
    }
    const identity = opIdentity(record);
    if (txn.seen.has(identity)) {
      this.counts.duplicateOps++;
      return undefined;
    }
    txn.seen.add(identity);
    txn.ops.push(record);
    return undefined;
  }

  /** Transactions still open, in the order they began. */
  pending(): PendingTxn[] {
    return [...this.open.values()].map(({ txnId, ops }) => ({ txnId, ops }));
  }
}

/** A re-written op has the same header and length as the original (the server re-writes its bytes). */
function opIdentity(record: RedoRecord): string {
  const h = record.header;
  return `${h.opCode}:${h.timestamp}:${h.changeId}:${h.mailboxId}:${record.length}`;
}
