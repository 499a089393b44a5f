import { AgentStateError } from '#agent/errors.ts';
import type { FollowEvent } from '#agent/follow-redo-log.ts';
import type { ByteSource } from '#core/redo/byte-source.ts';
import { FILE_HEADER_SIZE } from '#core/redo/file-header.ts';
import { isControlOp, OP } from '#core/redo/op-codes.ts';
import { type RecordHeader, txnKey } from '#core/redo/redo-record.ts';

/** A byte range [first, last) of one redo file, cut at record boundaries, to be read from `source`. */
export interface SegmentCut {
  kind: 'segment';
  sequence: bigint;
  first: number;
  last: number;
  /** Op times (ms) of the first and last records in the range, when it has records. */
  firstOpTime?: number;
  lastOpTime?: number;
  source: ByteSource;
}

/** A file was rolled over and read to its end: its final header is shipped so the file can be rebuilt. */
export interface FileSeal {
  kind: 'seal';
  sequence: bigint;
  size: number;
  torn: boolean;
  source: ByteSource;
}

export type SegmenterOutput =
  | SegmentCut
  | FileSeal
  | { kind: 'gap'; fromSequence: bigint; toSequence: bigint };

export interface SegmenterOptions {
  maxBytes: number;
  maxAgeMs: number;
  /**
   * Cut what is pending as soon as the follower has caught up with the log, but at most one segment per
   * this many ms (each segment is a PUT); unset: only the size and age bounds cut.
   */
  minIntervalMs?: number;
  /** When the log was caught up mid-transaction, wait this long for its commit before cutting anyway. */
  commitWaitMs?: number;
  now?: () => number;
}

interface Pending {
  sequence: bigint;
  source: ByteSource;
  first: number;
  last: number;
  firstOpTime?: number;
  lastOpTime?: number;
  /** When the range's first byte arrived: nothing waits longer than maxAgeMs. */
  since?: number;
}

/**
 * Turns what the follower reads into segments: contiguous byte ranges of a file (its header included when
 * read from 0, unparsed and torn bytes included, so every byte is shipped), cut when they reach
 * `maxBytes`, when their first byte is `maxAgeMs` old, and when the file ends.
 */
export class Segmenter {
  private readonly options: SegmenterOptions & { now: () => number };
  private pending: Pending | undefined;
  private lastCutAt = Number.NEGATIVE_INFINITY;
  /** Transactions read but not committed or aborted yet, with when they were read. */
  private readonly openTxns = new Map<string, number>();

  constructor(options: SegmenterOptions) {
    this.options = { now: Date.now, ...options };
  }

  push(event: FollowEvent): SegmenterOutput[] {
    const out: SegmenterOutput[] = [];
    switch (event.kind) {
      case 'file':
        this.cutInto(out);
        this.pending = {
          sequence: event.sequence,
          source: event.source,
          first: event.from,
          last: event.from,
        };
        // A file read from its start ships its header with the first records.
        if (event.from === 0) this.extend(event.sequence, 0, FILE_HEADER_SIZE);
        break;
      case 'record': {
        const p = this.extend(event.sequence, event.record.offset, event.record.offset + event.record.length);
        p.firstOpTime ??= event.record.header.timestamp;
        p.lastOpTime = event.record.header.timestamp;
        this.noteTransaction(event.record.header);
        break;
      }
      case 'unparsed':
        this.extend(event.sequence, event.offset, event.end);
        break;
      case 'idle': {
        const at = this.idleCutAt();
        if (at !== undefined && this.options.now() >= at) this.cutInto(out);
        break;
      }
      case 'closed':
        if (event.size > (this.pending?.last ?? event.size))
          this.extend(event.sequence, this.pending?.last ?? 0, event.size);
        this.cutInto(out);
        if (this.pending)
          out.push({
            kind: 'seal',
            sequence: event.sequence,
            size: event.size,
            torn: event.torn,
            source: this.pending.source,
          });
        this.pending = undefined;
        return out;
      case 'gap':
        this.cutInto(out);
        out.push(event);
        return out;
    }
    const p = this.pending;
    if (p && p.last > p.first) {
      const full = p.last - p.first >= this.options.maxBytes;
      const old = p.since !== undefined && this.options.now() - p.since >= this.options.maxAgeMs;
      if (full || old) this.cutInto(out);
    }
    return out;
  }

  /** Cuts whatever is pending now (shipping once, or stopping). */
  flush(): SegmenterOutput[] {
    const out: SegmenterOutput[] = [];
    this.cutInto(out);
    return out;
  }

  /**
   * When something pending is due to be cut if nothing else arrives (the follower waits until then at
   * most); undefined when nothing is pending.
   */
  nextDue(): number | undefined {
    const p = this.pending;
    if (!p || p.last === p.first || p.since === undefined) return undefined;
    const aged = p.since + this.options.maxAgeMs;
    return Math.min(aged, this.idleCutAt() ?? aged);
  }

  /** The next byte not yet cut into a segment. */
  position(): { sequence: bigint; offset: number } | undefined {
    return this.pending ? { sequence: this.pending.sequence, offset: this.pending.first } : undefined;
  }

  private extend(sequence: bigint, from: number, to: number): Pending {
    const p = this.pending;
    if (!p || p.sequence !== sequence || from !== p.last) {
      // The follower reports every byte in order; anything else is a bug, and shipping a hole would hide it.
      throw new AgentStateError(
        `segmenter expected sequence ${p?.sequence} at byte ${p?.last}, got sequence ${sequence} bytes ${from}–${to}`,
      );
    }
    p.since ??= this.options.now();
    p.last = to;
    return p;
  }

  /** When a caught-up follower cuts what is pending: one interval after the last cut, later mid-transaction. */
  private idleCutAt(): number | undefined {
    const { minIntervalMs, commitWaitMs = 0, maxAgeMs } = this.options;
    const p = this.pending;
    if (minIntervalMs === undefined || !p || p.last === p.first || p.since === undefined) return undefined;
    const due = Math.max(this.lastCutAt + minIntervalMs, p.since);
    // A transaction open longer than the age bound was abandoned (the server stopped before its commit).
    const now = this.options.now();
    for (const [txn, at] of this.openTxns) if (now - at > maxAgeMs) this.openTxns.delete(txn);
    return this.openTxns.size === 0 ? due : due + commitWaitMs;
  }

  private noteTransaction(header: RecordHeader): void {
    if (header.txnId === undefined) return;
    const key = txnKey(header.txnId);
    if (header.opCode === OP.CommitTxn || header.opCode === OP.AbortTxn) this.openTxns.delete(key);
    else if (!isControlOp(header.opCode)) this.openTxns.set(key, this.options.now());
  }

  private cutInto(out: SegmenterOutput[]): void {
    const p = this.pending;
    if (!p || p.last === p.first) return;
    out.push({
      kind: 'segment',
      sequence: p.sequence,
      first: p.first,
      last: p.last,
      ...(p.firstOpTime !== undefined ? { firstOpTime: p.firstOpTime } : {}),
      ...(p.lastOpTime !== undefined ? { lastOpTime: p.lastOpTime } : {}),
      source: p.source,
    });
    this.lastCutAt = this.options.now();
    this.pending = { sequence: p.sequence, source: p.source, first: p.last, last: p.last };
  }
}
