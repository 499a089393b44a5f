import { closeSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { encodeRecord } from '#core/redo/encode-record.ts';
import { encodeFileHeader, FILE_HEADER_SIZE } from '#core/redo/file-header.ts';
import { isControlOp, OP } from '#core/redo/op-codes.ts';
import { archiveFileName } from '#core/redo/redo-file-names.ts';
import { type OpData, type RecordHeader, type TxnId, txnKey } from '#core/redo/redo-record.ts';
import { LATEST_VERSION } from '#core/redo/version.ts';

export interface RedoLogFilesOptions {
  /** The host's redolog directory (holds redo.log and archive/). */
  dir: string;
  serverId: string;
  /** Delete the old file at rollover (the open-source default) instead of moving it to archive/. */
  deleteOnRollover: boolean;
  sequence?: bigint;
  now: number;
}

export interface RedoPosition {
  sequence: bigint;
  offset: number;
}

/**
 * Writes `redo.log` the way the mailbox server does (spec §1–4): header open = 1 while live, records
 * appended one by one, rollover that re-writes uncommitted ops into the next file, and a crash that
 * leaves open = 1 and a torn last record. Used by the simulator and the tests only.
 */
export class RedoLogFiles {
  readonly dir: string;
  private readonly options: RedoLogFilesOptions;
  private fd: number;
  sequence: bigint;
  private size = FILE_HEADER_SIZE;
  private createTime: number;
  private firstOpTime = 0;
  private lastOpTime = 0;
  private crashed = false;
  /** Record bytes of transactions not yet committed or aborted, in the order they began. */
  private readonly uncommitted = new Map<string, { txnId: TxnId; records: Buffer[] }>();
  /** Files closed by rollover, oldest first (archive paths, or the names deleted files had). */
  readonly closedFiles: { path: string; sequence: bigint; deleted: boolean }[] = [];

  constructor(options: RedoLogFilesOptions) {
    this.options = options;
    this.dir = options.dir;
    mkdirSync(join(this.dir, 'archive'), { recursive: true });
    this.sequence = options.sequence ?? 0n;
    this.createTime = options.now;
    this.fd = this.createFile(this.livePath, this.sequence, []);
  }

  get livePath(): string {
    return join(this.dir, 'redo.log');
  }

  position(): RedoPosition {
    return { sequence: this.sequence, offset: this.size };
  }

  activeTxns(): TxnId[] {
    return [...this.uncommitted.values()].map((t) => t.txnId);
  }

  /** Appends one record; returns where it starts. */
  append(header: RecordHeader, data: OpData): RedoPosition & { length: number } {
    if (this.crashed) throw new Error('the server crashed: restart it before writing');
    const bytes = encodeRecord(header, data);
    const at = this.position();
    this.write(bytes);
    if (this.firstOpTime === 0) this.firstOpTime = header.timestamp;
    this.lastOpTime = Math.max(this.lastOpTime, header.timestamp);
    const key = txnKey(header.txnId);
    if (data.op === 'CommitTxn' || data.op === 'AbortTxn') this.uncommitted.delete(key);
    else if (!isControlOp(header.opCode)) {
      const txn = this.uncommitted.get(key) ?? { txnId: header.txnId, records: [] };
      txn.records.push(bytes);
      this.uncommitted.set(key, txn);
    }
    return { ...at, length: bytes.length };
  }

  /**
   * Rollover (spec §4): a Checkpoint if transactions are active, close, then a new file (sequence + 1)
   * starting with the uncommitted ops, the old one moved to archive/ or deleted.
   */
  rollover(now: number, checkpointTxn: TxnId): void {
    if (this.uncommitted.size > 0) {
      const data: OpData = { op: 'Checkpoint', activeTxns: this.activeTxns() };
      this.append(controlHeader(OP.Checkpoint, now, checkpointTxn), data);
    }
    this.closeFile(now);
    const oldSequence = this.sequence;
    this.sequence = oldSequence + 1n;
    const stamp = archiveFileName(now, this.sequence).slice('redo-'.length, -'.log'.length);
    const tmp = join(this.dir, `~tmp-redo-${stamp}.log`);
    const carried = [...this.uncommitted.values()].flatMap((t) => t.records);
    const nextFd = this.createFile(tmp, this.sequence, carried, now);
    this.retire(oldSequence, now);
    renameSync(tmp, this.livePath);
    this.fd = nextFd;
  }

  /** The server dies mid-write: `torn` bytes of a record are on disk, open stays 1. */
  crash(torn: Buffer): void {
    this.write(torn);
    closeSync(this.fd);
    this.crashed = true;
  }

  /**
   * Restart after a crash: the crashed file (open = 1, torn tail) is retired as it is and a new file
   * begins; the caller then logs CommitTxn or AbortTxn for each transaction that was open.
   */
  restart(now: number): TxnId[] {
    if (!this.crashed) throw new Error('restart() follows crash()');
    const open = this.activeTxns();
    const oldSequence = this.sequence;
    this.sequence = oldSequence + 1n;
    this.retire(oldSequence, now);
    this.size = FILE_HEADER_SIZE;
    this.fd = this.createFile(this.livePath, this.sequence, [], now);
    this.crashed = false;
    // Their ops are not re-written: the commit or abort refers to ops in the crashed file.
    return open;
  }

  /** Clean shutdown: open = 0 with the final size and last op time. */
  close(now: number): void {
    if (this.crashed) return;
    this.closeFile(now);
  }

  private retire(sequence: bigint, now: number): void {
    const path = join(this.dir, 'archive', archiveFileName(now, sequence));
    const deleted = this.options.deleteOnRollover;
    if (deleted) unlinkSync(this.livePath);
    else renameSync(this.livePath, path);
    this.closedFiles.push({ path, sequence, deleted });
  }

  private createFile(path: string, sequence: bigint, records: Buffer[], now = this.createTime): number {
    const fd = openSync(path, 'w+');
    this.createTime = now;
    this.firstOpTime = 0;
    this.lastOpTime = 0;
    writeSync(fd, this.headerBytes(true, sequence, 0), 0, FILE_HEADER_SIZE, 0);
    let size = FILE_HEADER_SIZE;
    for (const record of records) {
      writeSync(fd, record, 0, record.length, size);
      size += record.length;
    }
    this.size = size;
    return fd;
  }

  private closeFile(now: number): void {
    this.lastOpTime = Math.max(this.lastOpTime, now);
    writeSync(this.fd, this.headerBytes(false, this.sequence, this.size), 0, FILE_HEADER_SIZE, 0);
    closeSync(this.fd);
  }

  private headerBytes(open: boolean, sequence: bigint, fileSize: number): Buffer {
    return encodeFileHeader({
      open,
      fileSize,
      sequence,
      serverId: this.options.serverId,
      firstOpTime: this.firstOpTime,
      lastOpTime: open ? 0 : this.lastOpTime,
      version: LATEST_VERSION,
      createTime: this.createTime,
    });
  }

  private write(bytes: Buffer): void {
    writeSync(this.fd, bytes, 0, bytes.length, this.size);
    this.size += bytes.length;
  }
}

export function controlHeader(opCode: number, timestamp: number, txnId: TxnId, mailboxId = -1): RecordHeader {
  return { version: LATEST_VERSION, opCode, timestamp, changeId: -1, changeConstraint: 0, txnId, mailboxId };
}
