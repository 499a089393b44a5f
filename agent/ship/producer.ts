import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentConfig } from '#agent/config/agent-config.ts';
import { followRedoLog } from '#agent/follow-redo-log.ts';
import type { AgentLog } from '#agent/observability.ts';
import type { AgentState } from '#agent/ship/agent-state.ts';
import { crashPoint } from '#agent/ship/crash-point.ts';
import type { ScanCuts } from '#agent/ship/scan-cuts.ts';
import { type FileSeal, type SegmentCut, Segmenter, type SegmenterOutput } from '#agent/ship/segmenter.ts';
import type { ShipReport } from '#agent/ship/ship-report.ts';
import type { Spool } from '#agent/ship/spool.ts';
import { type EncodedEntry, encodeSeal, encodeSegment } from '#agent/ship/spool-entries.ts';

const MiB = 1024 * 1024;
/** Segments encoded at once while a backlog is read: zstd runs on the thread pool meanwhile. */
const ENCODE_AHEAD = 2;

/** A segment or a seal being encoded; spooled strictly in order. */
interface InFlight {
  output: SegmentCut | FileSeal;
  encoded: Promise<EncodedEntry>;
}

export interface ProducerDeps {
  config: AgentConfig;
  log: AgentLog;
  state: AgentState;
  spool: Spool;
  cuts: ScanCuts;
  report: ShipReport;
  /** Called after each entry is spooled, so the uploader takes it. */
  spooled: () => void;
}

/**
 * The log → spool stage: follows the redo log from the cursor, cuts segments, encodes and spools them
 * durably and moves the cursor past them; serves scans' cuts between two events of the log; pauses while
 * the spool is full.
 */
export class Producer {
  private readonly deps: ProducerDeps;
  private spoolWarned = false;
  private liveWrittenAt = 0;
  private readonly inFlight: InFlight[] = [];
  /** Wakes the follower's wait on a quiet log (a scan waits for its cut). */
  private readonly wake = new EventTarget();

  constructor(deps: ProducerDeps) {
    this.deps = deps;
  }

  /** Until `signal` aborts, or with `once` until the live file has been read to its current end. */
  async run(signal: AbortSignal, once: boolean): Promise<void> {
    const { config, log, state, cuts } = this.deps;
    const cursor = state.data.cursor;
    const from = cursor ? { sequence: BigInt(cursor.sequence), offset: cursor.offset } : config.startFrom;
    const segmenter = new Segmenter({
      maxBytes: config.segment.maxMiB * MiB,
      maxAgeMs: config.segment.maxAgeSeconds * 1000,
      minIntervalMs: config.segment.minIntervalSeconds * 1000,
      commitWaitMs: config.segment.commitWaitSeconds * 1000,
    });
    const wakeAt = () => segmenter.nextDue();
    log.info('following the redo log', { redologDir: config.redologDir, from: cursor ?? config.startFrom });
    try {
      for await (const event of followRedoLog(config.redologDir, {
        from,
        pollMs: config.pollMs,
        signal,
        once,
        wakeAt,
        wake: this.wake,
      })) {
        if (event.kind === 'unparsed') {
          log.warn('redo bytes the reader cannot decode are shipped as they are', {
            sequence: String(event.sequence),
            offset: event.offset,
            end: event.end,
            reason: event.reason,
          });
        }
        const outputs = segmenter.push(event);
        // Shipping once: everything read so far is cut while the file is still open.
        if (once && event.kind === 'idle') outputs.push(...segmenter.flush());
        for (const output of outputs) await this.enqueue(output, signal);
        // Only a backlog's records are encoded ahead; anything else (caught up, a file closed whose source
        // is about to be closed, a scan waiting for the cursor) spools what is in flight first.
        if (event.kind !== 'record' || signal.aborted) await this.drain(signal);
        if (cuts.waiting) await this.serveCuts(segmenter, signal);
        if (event.kind === 'idle') await this.noteLive(event.sequence, event.offset);
        if (signal.aborted) return;
      }
    } finally {
      // Encodings started are spooled, unless reading failed; then they are let go (never half spooled).
      await this.drain(signal).catch(() => undefined);
    }
  }

  /** A scan asked for a cut: served at the next event of the log, made to come now on a quiet one. */
  cutRequested(): void {
    this.wake.dispatchEvent(new Event('wake'));
  }

  /** Spools what was read and places a barrier for each waiting scan at the position reached. */
  private async serveCuts(segmenter: Segmenter, signal: AbortSignal): Promise<void> {
    for (const output of segmenter.flush()) await this.enqueue(output, signal);
    await this.drain(signal);
    const cursor = this.deps.state.data.cursor;
    if (!cursor) return; // nothing read yet: served after the first segment
    this.deps.cuts.serve(cursor);
  }

  /**
   * Starts encoding `output`; spools the oldest in flight while more than ENCODE_AHEAD are. A gap is recorded
   * in its place in the stream, after what is in flight.
   */
  private async enqueue(output: SegmenterOutput, signal: AbortSignal): Promise<void> {
    const { config } = this.deps;
    if (output.kind === 'gap') {
      await this.drain(signal);
      await this.noteGap(output);
      return;
    }
    const encoded =
      output.kind === 'segment'
        ? encodeSegment(config.serverId, output, config.segment.zstdLevel, (id) =>
            this.deps.spool.scratch(id),
          )
        : encodeSeal(config.serverId, output);
    // Taken in order by `spoolNext`; this only keeps a failure from counting as unhandled meanwhile.
    encoded.catch(() => undefined);
    this.inFlight.push({ output, encoded });
    while (this.inFlight.length > ENCODE_AHEAD) await this.spoolNext(signal);
  }

  /** Spools everything in flight, in order. */
  private async drain(signal: AbortSignal): Promise<void> {
    while (this.inFlight.length > 0) await this.spoolNext(signal);
  }

  private async spoolNext(signal: AbortSignal): Promise<void> {
    const next = this.inFlight[0];
    if (!next) return;
    try {
      await this.spoolOutput(next.output, await next.encoded, signal);
    } catch (error) {
      // What follows cannot be spooled before this one: all of it is read again on the next run.
      for (const dropped of this.inFlight.splice(0)) void this.deps.spool.discard(dropped.encoded);
      throw error;
    }
    this.inFlight.shift();
  }

  private async noteGap(output: Extract<SegmenterOutput, { kind: 'gap' }>): Promise<void> {
    const { log, state, report } = this.deps;
    const gap = { fromSequence: String(output.fromSequence), toSequence: String(output.toSequence) };
    log.error(
      'redo files were rolled over and deleted before the agent read them: their changes are not shipped',
      gap,
    );
    report.gaps.push(gap);
    await state.update((s) => {
      s.gaps.push({ ...gap, detectedAt: new Date().toISOString() });
    });
  }

  private async spoolOutput(
    output: SegmentCut | FileSeal,
    encoded: EncodedEntry,
    signal: AbortSignal,
  ): Promise<void> {
    const { state, spool, report } = this.deps;
    const { entry } = encoded;
    await this.waitForSpoolRoom(entry.storedSize, signal);
    await spool.store(encoded);
    crashPoint('spooled');
    const next =
      output.kind === 'seal'
        ? { sequence: String(output.sequence + 1n), offset: 0 }
        : { sequence: entry.sequence, offset: output.last };
    await state.update((s) => {
      s.cursor = next;
    });
    report.spooled++;
    this.deps.spooled();
  }

  /** Reading pauses while the spool is full (S3 or SQS unreachable); a warning comes first. */
  private async waitForSpoolRoom(bytes: number, signal: AbortSignal): Promise<void> {
    const { config, log, spool } = this.deps;
    const max = config.spool.maxMiB * MiB;
    const used = spool.usage();
    if (!this.spoolWarned && used + bytes > (max * config.spool.warnPercent) / 100) {
      this.spoolWarned = true;
      log.warn('the spool is filling up: uploads are not keeping up or S3/SQS is unreachable', {
        usedBytes: used,
        maxBytes: max,
      });
    }
    let logged = false;
    while (spool.usage() > 0 && spool.usage() + bytes > max && !signal.aborted) {
      if (!logged) {
        log.error(
          'the spool is full: reading the redo log pauses until uploads resume (a rollover with deletion now loses data)',
          { usedBytes: spool.usage(), maxBytes: max },
        );
        logged = true;
      }
      await sleep(config.pollMs);
    }
    // Warn again only after the spool drained well below the mark (no warning per segment at the edge).
    if (spool.usage() + bytes <= (max * config.spool.warnPercent) / 200) this.spoolWarned = false;
  }

  private async noteLive(sequence: bigint, offset: number): Promise<void> {
    // The live position only feeds status and lag: written at most every few seconds.
    if (Date.now() - this.liveWrittenAt < 2000) return;
    this.liveWrittenAt = Date.now();
    await this.deps.state.update((s) => {
      s.live = { sequence: String(sequence), offset, at: new Date().toISOString() };
    });
  }
}
