import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { constants as zlib, zstdCompress } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { AgentConfig } from '#agent/config/agent-config.ts';
import { AgentStateError, LdapDumpError, ShipError } from '#agent/errors.ts';
import { followRedoLog } from '#agent/follow-redo-log.ts';
import { type DirectoryDump, dumpDirectory } from '#agent/ldap/dump-directory.ts';
import type { AgentLog } from '#agent/observability.ts';
import { type AgentLag, agentLag } from '#agent/ship/agent-lag.ts';
import { AgentState } from '#agent/ship/agent-state.ts';
import { crashPoint } from '#agent/ship/crash-point.ts';
import { describeAwsError } from '#agent/ship/describe-aws-error.ts';
import { RateLimiter } from '#agent/ship/rate-limiter.ts';
import { Segmenter, type SegmenterOutput } from '#agent/ship/segmenter.ts';
import { ldapSpoolId, Spool, type SpoolEntry, scanSpoolId, spoolId } from '#agent/ship/spool.ts';
import { uploadObject } from '#agent/ship/upload-object.ts';
import type { IngestMessage } from '#core/announcement.ts';
import { FILE_HEADER_SIZE } from '#core/redo/file-header.ts';
import { serverKeys } from '#core/storage/server-keys.ts';

const MiB = 1024 * 1024;
const compress = promisify(zstdCompress);

export interface ShipperDeps {
  config: AgentConfig;
  s3: S3Client;
  sqs: SQSClient;
  log: AgentLog;
}

export interface ShipReport {
  spooled: number;
  uploaded: number;
  announced: number;
  bytes: number;
  gaps: { fromSequence: string; toSequence: string }[];
  cursor: { sequence: string; offset: number } | null;
}

/**
 * Ships the redo log: follows it (from where the last run stopped), cuts segments, spools them durably,
 * uploads them and announces them in order on the FIFO ingest queue. A crash at any instant loses
 * nothing: what is spooled is uploaded and announced after restart, and re-announcing is harmless.
 */
export class Shipper {
  readonly state: AgentState;
  readonly spool: Spool;
  private readonly deps: ShipperDeps;
  private readonly limiter: RateLimiter;
  private readonly report: ShipReport = {
    spooled: 0,
    uploaded: 0,
    announced: 0,
    bytes: 0,
    gaps: [],
    cursor: null,
  };
  private wake: (() => void) | undefined;
  private ldapWake: (() => void) | undefined;
  /** Scans waiting for a cut: the producer serves them between two events of the log. */
  private readonly cutRequests: { mailboxId: number; scanId: string; resolve: (cut: ScanCut) => void }[] = [];
  /** Spool ids of scans cut but not spooled yet: nothing after one is announced before it. */
  private readonly barriers = new Set<string>();
  private ldapRequested = false;
  private spoolWarned = false;
  private liveWrittenAt = 0;

  private constructor(deps: ShipperDeps, state: AgentState, spool: Spool) {
    this.deps = deps;
    this.state = state;
    this.spool = spool;
    const mbps = deps.config.upload.maxMiBps;
    this.limiter = new RateLimiter(mbps === undefined ? undefined : mbps * MiB);
  }

  static async open(deps: ShipperDeps): Promise<Shipper> {
    const state = await AgentState.open(deps.config.stateDir, deps.config.serverId);
    const spool = new Spool(join(deps.config.stateDir, 'spool'));
    await spool.open();
    const shipper = new Shipper(deps, state, spool);
    await shipper.reconcile();
    return shipper;
  }

  /** The daemon: follow, spool, upload and announce (and dump LDAP on schedule) until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    // A reader failure (say, a replaced log) stops the uploads and the schedule too, so the process ends.
    const local = new AbortController();
    const stop = AbortSignal.any([signal, local.signal]);
    // Shipping outlives a stop by a grace: what was read or dumped by then (the last segment, an LDAP dump
    // just taken) is uploaded and announced, rather than left spooled, maybe uploaded, until the next start.
    const shipping = new AbortController();
    const consumer = this.consume(shipping.signal, undefined, stop);
    const ldap = this.ldapSchedule(stop);
    try {
      await this.produce(stop, false);
    } finally {
      local.abort();
      this.ldapWake?.();
      await ldap;
      const grace = setTimeout(() => shipping.abort(), this.deps.config.upload.stopGraceSeconds * 1000);
      this.kick();
      await consumer;
      clearTimeout(grace);
    }
  }

  /** How far shipping is behind the live log now. */
  lag(now = Date.now()): AgentLag {
    return agentLag(this.spool.list(), this.state.data.cursor, this.state.data.live, now);
  }

  /** Asks a running `run` for an LDAP dump now (SIGUSR1, `agent ldap-dump`). */
  requestLdapDump(): void {
    this.deps.log.info('LDAP dump requested');
    this.ldapRequested = true;
    this.ldapWake?.();
  }

  /**
   * Dumps the directory and spools the compressed LDIF (shipped after the redo spooled before it). A failed
   * bind or search throws and spools nothing.
   */
  async dumpLdap(): Promise<SpoolEntry> {
    const { config, log } = this.deps;
    if (!config.ldap)
      throw new LdapDumpError('no "ldap" section in the agent configuration: nothing to dump');
    let dump: DirectoryDump;
    try {
      dump = await dumpDirectory(config.ldap);
    } catch (error) {
      const message = (error as Error).message;
      log.error('LDAP dump failed; nothing shipped for it', { error: message });
      await this.state.update((s) => {
        s.lastLdapError = { message, at: new Date().toISOString() };
      });
      throw error;
    }
    const sha256 = createHash('sha256').update(dump.ldif).digest('hex');
    const stored = await compress(dump.ldif, {
      params: { [zlib.ZSTD_c_compressionLevel]: config.segment.zstdLevel },
    });
    const at = dump.dumpedAt.toISOString();
    const entry: SpoolEntry = {
      id: ldapSpoolId(dump.dumpedAt),
      kind: 'ldap',
      sequence: '',
      first: 0,
      last: 0,
      key: serverKeys.ldapDump(config.serverId, at, sha256),
      sha256,
      size: dump.ldif.length,
      storedSize: stored.length,
      codec: 'zstd',
      entries: dump.entries,
      spooledAt: at,
    };
    await this.spool.put(entry, stored);
    await this.state.update((s) => {
      s.lastLdapError = null;
    });
    log.info('LDAP dump spooled', { entries: dump.entries, bytes: dump.ldif.length, key: entry.key });
    this.kick();
    return entry;
  }

  /** Dumps when the last dump is older than the interval, or on request; a failure is retried sooner. */
  private async ldapSchedule(signal: AbortSignal): Promise<void> {
    const ldap = this.deps.config.ldap;
    if (!ldap) return;
    const interval = ldap.intervalMinutes * 60_000;
    let retryAt = 0;
    while (!signal.aborted) {
      const pending = this.spool.list().findLast((e) => e.kind === 'ldap');
      const last = pending?.spooledAt ?? this.state.data.ldap?.lastDumpAt;
      const due = Math.max(last ? Date.parse(last) + interval : 0, retryAt);
      if (this.ldapRequested || Date.now() >= due) {
        this.ldapRequested = false;
        try {
          await this.dumpLdap();
          retryAt = 0;
        } catch {
          retryAt = Date.now() + Math.min(interval, 5 * 60_000);
        }
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(due - Date.now(), 60_000));
        this.ldapWake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.ldapWake = undefined;
    }
  }

  /**
   * Cuts the shipped stream for a scan of one mailbox: everything read so far is spooled as a segment, and
   * the scan's place in the stream is held (a barrier) until `spoolScan` fills it or the cut is released.
   * Reading and uploading go on meanwhile; only announcements after the cut wait, so the indexer meets the
   * scan exactly between the redo before and after it. Needs `run` to be going (it serves the cut).
   */
  cutForScan(mailboxId: number, scanId: string, signal?: AbortSignal): Promise<ScanCut> {
    return new Promise<ScanCut>((resolve, reject) => {
      const request = { mailboxId, scanId, resolve };
      this.cutRequests.push(request);
      signal?.addEventListener('abort', () => {
        const at = this.cutRequests.indexOf(request);
        if (at >= 0) this.cutRequests.splice(at, 1);
        reject(new ShipError('the scan was stopped before the redo stream was cut'));
      });
    });
  }

  /** Fills a cut with the scan snapshot of its mailbox; it is announced in its place in the stream. */
  async spoolScan(
    cut: ScanCut,
    entry: Omit<SpoolEntry, 'id' | 'sequence' | 'first' | 'last'>,
    dataFile: string,
  ): Promise<void> {
    await this.spool.adopt(
      { ...entry, id: cut.id, sequence: cut.sequence, first: cut.offset, last: cut.offset },
      dataFile,
    );
    this.releaseCut(cut);
  }

  /**
   * Spools a pack of bodies a scan read, in the stream where the log has been read to: announced after the
   * redo before it and before any scan cut after it, so the snapshots that name its bodies come after it.
   */
  async spoolBodyPack(pack: { bytes: Buffer; sha256: string; bodies: number }): Promise<SpoolEntry> {
    const at = new Date().toISOString();
    const cursor = this.state.data.cursor ?? { sequence: '0', offset: 0 };
    const entry: SpoolEntry = {
      id: `${spoolId('pack', cursor.sequence, cursor.offset, cursor.offset)}-${pack.sha256.slice(0, 16)}`,
      kind: 'pack',
      sequence: cursor.sequence,
      first: cursor.offset,
      last: cursor.offset,
      key: serverKeys.bodyPack(this.deps.config.serverId, at, pack.sha256),
      sha256: pack.sha256,
      size: pack.bytes.length,
      storedSize: pack.bytes.length,
      codec: 'none',
      bodies: pack.bodies,
      spooledAt: at,
    };
    await this.spool.put(entry, pack.bytes);
    this.kick();
    return entry;
  }

  /** Gives up a cut (the scan failed): announcements after it go on. */
  releaseCut(cut: ScanCut): void {
    this.barriers.delete(cut.id);
    this.kick();
  }

  /** Ships everything the log holds now, then returns (cron-style). Fails if S3 or SQS stays unreachable. */
  async shipOnce(signal: AbortSignal = new AbortController().signal): Promise<ShipReport> {
    // Uploads start while the log is still being read; either side's failure stops the other.
    const local = new AbortController();
    const stop = AbortSignal.any([signal, local.signal]);
    let reading = true;
    let failure: unknown;
    const consumer = this.consume(stop, () => !reading).catch((error: unknown) => {
      failure ??= error;
      local.abort();
    });
    try {
      await this.produce(stop, true);
    } catch (error) {
      failure ??= error;
      local.abort();
    } finally {
      reading = false;
      this.kick();
      await consumer;
    }
    if (failure !== undefined) throw failure;
    return { ...this.report, cursor: this.state.data.cursor };
  }

  /** Uploads and announces what is spooled, without reading the log (an on-demand LDAP dump). */
  async drain(signal: AbortSignal = new AbortController().signal): Promise<void> {
    await this.consume(signal, () => true);
  }

  // ---- producing: log → segments → spool ---------------------------------------------------------------

  private async produce(signal: AbortSignal, once: boolean): Promise<void> {
    const { config, log } = this.deps;
    const cursor = this.state.data.cursor;
    const from = cursor ? { sequence: BigInt(cursor.sequence), offset: cursor.offset } : config.startFrom;
    const segmenter = new Segmenter({
      maxBytes: config.segment.maxMiB * MiB,
      maxAgeMs: config.segment.maxAgeSeconds * 1000,
    });
    log.info('following the redo log', { redologDir: config.redologDir, from: cursor ?? config.startFrom });
    for await (const event of followRedoLog(config.redologDir, {
      from,
      pollMs: config.pollMs,
      signal,
      once,
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
      for (const output of outputs) await this.spoolOutput(output, signal);
      if (this.cutRequests.length > 0) await this.serveCuts(segmenter, signal);
      if (event.kind === 'idle') await this.noteLive(event.sequence, event.offset);
      if (signal.aborted) return;
    }
  }

  /** Spools what was read and places a barrier for each waiting scan at the position reached. */
  private async serveCuts(segmenter: Segmenter, signal: AbortSignal): Promise<void> {
    for (const output of segmenter.flush()) await this.spoolOutput(output, signal);
    const cursor = this.state.data.cursor;
    if (!cursor) return; // nothing read yet: served after the first segment
    for (const request of this.cutRequests.splice(0)) {
      // The cut's time too: a mailbox scanned again at the same cut (a resumed scan) is a new entry.
      const id = scanSpoolId(
        cursor.sequence,
        cursor.offset,
        request.mailboxId,
        `${Date.now()}-${request.scanId}`,
      );
      this.barriers.add(id);
      request.resolve({ id, sequence: cursor.sequence, offset: cursor.offset });
    }
  }

  private async spoolOutput(output: SegmenterOutput, signal: AbortSignal): Promise<void> {
    const { config, log } = this.deps;
    if (output.kind === 'gap') {
      const gap = { fromSequence: String(output.fromSequence), toSequence: String(output.toSequence) };
      log.error(
        'redo files were rolled over and deleted before the agent read them: their changes are not shipped',
        gap,
      );
      this.report.gaps.push(gap);
      await this.state.update((s) => {
        s.gaps.push({ ...gap, detectedAt: new Date().toISOString() });
      });
      return;
    }
    const sequence = String(output.sequence);
    let entry: SpoolEntry;
    let stored: Buffer;
    if (output.kind === 'segment') {
      const plain = await output.source.read(output.first, output.last - output.first);
      if (plain.length !== output.last - output.first) {
        throw new AgentStateError(
          `redo file ${sequence} ended at ${output.first + plain.length}, before byte ${output.last}`,
        );
      }
      const sha256 = createHash('sha256').update(plain).digest('hex');
      // Off the event loop (libuv's thread pool): uploads and announcements go on meanwhile.
      stored = await compress(plain, {
        params: { [zlib.ZSTD_c_compressionLevel]: config.segment.zstdLevel },
      });
      entry = {
        id: spoolId('segment', output.sequence, output.first, output.last),
        kind: 'segment',
        sequence,
        first: output.first,
        last: output.last,
        key: serverKeys.segment(config.serverId, sequence, output.first, output.last, sha256),
        sha256,
        size: plain.length,
        storedSize: stored.length,
        codec: 'zstd',
        ...(output.firstOpTime !== undefined ? { firstOpTime: output.firstOpTime } : {}),
        ...(output.lastOpTime !== undefined ? { lastOpTime: output.lastOpTime } : {}),
        spooledAt: new Date().toISOString(),
      };
    } else {
      stored = await output.source.read(0, FILE_HEADER_SIZE);
      const sha256 = createHash('sha256').update(stored).digest('hex');
      entry = {
        id: spoolId('seal', output.sequence, output.size, output.size),
        kind: 'seal',
        sequence,
        first: output.size,
        last: output.size,
        key: serverKeys.seal(config.serverId, sequence, output.size, sha256),
        sha256,
        size: stored.length,
        storedSize: stored.length,
        codec: 'none',
        torn: output.torn,
        spooledAt: new Date().toISOString(),
      };
    }
    await this.waitForSpoolRoom(entry.storedSize, signal);
    await this.spool.put(entry, stored);
    crashPoint('spooled');
    const next =
      output.kind === 'seal'
        ? { sequence: String(output.sequence + 1n), offset: 0 }
        : { sequence, offset: output.last };
    await this.state.update((s) => {
      s.cursor = next;
    });
    this.report.spooled++;
    this.kick();
  }

  /** Reading pauses while the spool is full (S3 or SQS unreachable); a warning comes first. */
  private async waitForSpoolRoom(bytes: number, signal: AbortSignal): Promise<void> {
    const { config, log } = this.deps;
    const max = config.spool.maxMiB * MiB;
    const used = this.spool.usage();
    if (!this.spoolWarned && used + bytes > (max * config.spool.warnPercent) / 100) {
      this.spoolWarned = true;
      log.warn('the spool is filling up: uploads are not keeping up or S3/SQS is unreachable', {
        usedBytes: used,
        maxBytes: max,
      });
    }
    let logged = false;
    while (this.spool.usage() > 0 && this.spool.usage() + bytes > max && !signal.aborted) {
      if (!logged) {
        log.error(
          'the spool is full: reading the redo log pauses until uploads resume (a rollover with deletion now loses data)',
          {
            usedBytes: this.spool.usage(),
            maxBytes: max,
          },
        );
        logged = true;
      }
      await sleep(this.deps.config.pollMs);
    }
    // Warn again only after the spool drained well below the mark (no warning per segment at the edge).
    if (this.spool.usage() + bytes <= (max * config.spool.warnPercent) / 200) this.spoolWarned = false;
  }

  private async noteLive(sequence: bigint, offset: number): Promise<void> {
    // The live position only feeds status and lag: written at most every few seconds.
    if (Date.now() - this.liveWrittenAt < 2000) return;
    this.liveWrittenAt = Date.now();
    await this.state.update((s) => {
      s.live = { sequence: String(sequence), offset, at: new Date().toISOString() };
    });
  }

  // ---- consuming: spool → S3 → ingest queue --------------------------------------------------------------

  /**
   * Ships spooled entries; with `done`, returns once the spool is empty and `done()` (else runs until
   * aborted, or until the spool is empty once `stopping` aborted). Up to `upload.concurrency` uploads are in
   * flight at any time (a sliding window, not batches: a slow object holds back only the announcements
   * after it), and announcements go strictly in order.
   */
  private async consume(
    signal: AbortSignal,
    done: (() => boolean) | undefined,
    stopping?: AbortSignal,
  ): Promise<void> {
    const untilEmpty = done !== undefined;
    const { config, log } = this.deps;
    const inflight = new Map<string, Promise<void>>();
    let failures = 0;
    // Shipping has resumed only once something got through: an upload finished or an announcement went out.
    let succeeded = false;
    // Aborted with entries uploaded but not announced: they stay spooled for the next start.
    while (!signal.aborted) {
      const entries = this.spool.list();
      if (entries.length === 0) {
        if (done?.() || stopping?.aborted || signal.aborted) return;
        await this.waitForWork(config.pollMs * 5);
        continue;
      }
      try {
        for (const entry of entries) {
          if (inflight.size >= config.upload.concurrency) break;
          if (entry.uploaded || inflight.has(entry.id)) continue;
          const upload = this.upload(entry, signal)
            .then(() => {
              succeeded = true;
            })
            .finally(() => inflight.delete(entry.id));
          // Rejections are taken below through `Promise.race`; this marks them handled meanwhile.
          upload.catch(() => undefined);
          inflight.set(entry.id, upload);
        }
        if ((await this.announceUploaded(signal)) > 0) succeeded = true;
        if (failures > 0 && succeeded) {
          log.info('shipping resumed', { afterFailures: failures });
          failures = 0;
          await this.state.update((s) => {
            s.lastError = null;
          });
        }
        // Until an upload finishes or new entries are spooled. With nothing in flight, what is left waits
        // behind a scan's cut: without this wait the loop would spin and starve the scan that fills it.
        if (inflight.size > 0)
          await Promise.race([...inflight.values(), this.waitForWork(config.pollMs * 5)]);
        else if (this.spool.list().length > 0) await this.waitForWork(config.pollMs * 5);
      } catch (error) {
        if (signal.aborted) return;
        failures++;
        succeeded = false;
        const { message, permanent } = describeAwsError(error, config.aws);
        log.error('shipping failed; segments stay spooled and are retried', {
          attempt: failures,
          error: message,
        });
        await this.state.update((s) => {
          s.lastError = { message, at: new Date().toISOString() };
        });
        // The daemon retries even these (someone may fix the bucket policy); one-shot shipping says so now.
        if (untilEmpty && permanent) throw new ShipError(message, { cause: error });
        if (untilEmpty && failures >= 5) {
          throw new ShipError(`shipping failed ${failures} times, last: ${message}`, { cause: error });
        }
        // Exponential backoff with jitter; the log is still followed meanwhile.
        const delay =
          Math.min(config.upload.maxBackoffSeconds * 1000, 500 * 2 ** Math.min(failures, 12)) *
          (0.5 + Math.random() / 2);
        await sleep(delay, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  private async upload(entry: SpoolEntry, signal: AbortSignal): Promise<void> {
    const { config, s3 } = this.deps;
    await uploadObject(s3, {
      bucket: config.aws.bucket,
      key: entry.key,
      body: await this.spool.data(entry.id),
      metadata: { sha256: entry.sha256, codec: entry.codec, size: String(entry.size) },
      multipartThreshold: config.upload.multipartThresholdMiB * MiB,
      partSize: config.upload.partMiB * MiB,
      limiter: this.limiter,
      signal,
    });
    await this.spool.markUploaded(entry.id);
    crashPoint('uploaded');
    this.report.uploaded++;
    this.report.bytes += entry.storedSize;
  }

  /** Announces uploaded entries strictly in spool order; stops at the first one not uploaded yet. How many. */
  private async announceUploaded(signal: AbortSignal): Promise<number> {
    const { config, sqs } = this.deps;
    const barrier = [...this.barriers].sort()[0];
    let announced = 0;
    for (const entry of this.spool.list()) {
      if (!entry.uploaded || signal.aborted) return announced;
      if (barrier !== undefined && entry.id > barrier) return announced;
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: config.aws.ingestQueueUrl,
          MessageBody: JSON.stringify(this.message(entry)),
          MessageGroupId: config.serverId,
          // The entry's identity (server + spool id, hashed to fit 128 characters): a re-announcement after
          // a crash is dropped by SQS or ignored by the indexer, while equal offsets of two servers never collide
          // (deduplication is per queue, not per message group).
          MessageDeduplicationId: createHash('sha256')
            .update(`${config.serverId}\0${entry.id}`)
            .digest('hex'),
        }),
        { abortSignal: signal },
      );
      crashPoint('sent');
      await this.state.update((s) => {
        if (entry.kind === 'scan' || entry.kind === 'pack') return;
        if (entry.kind === 'ldap') {
          s.ldap = { lastDumpAt: entry.spooledAt, key: entry.key, entries: entry.entries ?? 0 };
        } else {
          s.announced = {
            id: entry.id,
            sequence: entry.sequence,
            offset: entry.last,
            key: entry.key,
            at: new Date().toISOString(),
          };
        }
      });
      crashPoint('recorded');
      await this.spool.remove(entry.id);
      this.report.announced++;
      announced++;
    }
    return announced;
  }

  private message(entry: SpoolEntry): IngestMessage {
    const common = {
      serverId: this.deps.config.serverId,
      key: entry.key,
      sha256: entry.sha256,
      storedSize: entry.storedSize,
      shippedAt: new Date().toISOString(),
    };
    switch (entry.kind) {
      case 'segment':
        return {
          type: 'redo-segment',
          ...common,
          seq: entry.sequence,
          firstOffset: String(entry.first),
          lastOffset: String(entry.last),
          size: entry.size,
          codec: entry.codec,
          ...(entry.firstOpTime !== undefined
            ? { firstOpTime: new Date(entry.firstOpTime).toISOString() }
            : {}),
          ...(entry.lastOpTime !== undefined ? { lastOpTime: new Date(entry.lastOpTime).toISOString() } : {}),
        };
      case 'seal':
        return {
          type: 'redo-seal',
          ...common,
          seq: entry.sequence,
          size: String(entry.last),
          torn: entry.torn ?? false,
        };
      case 'scan':
        return {
          type: 'scan-snapshot',
          ...common,
          size: entry.size,
          codec: entry.codec,
          seq: entry.sequence,
          offset: String(entry.first),
          ...(entry.scan as ScanEntryFields),
        };
      case 'pack':
        return {
          type: 'body-pack',
          ...common,
          size: entry.size,
          codec: 'none',
          bodies: entry.bodies ?? 0,
          packedAt: entry.spooledAt,
        };
      case 'ldap':
        return {
          type: 'ldap-dump',
          ...common,
          size: entry.size,
          codec: entry.codec,
          entries: entry.entries ?? 0,
          dumpedAt: entry.spooledAt,
        };
    }
  }

  /**
   * Repairs what a crash can leave between two durable writes: entries announced but not removed are
   * done, and a segment spooled before the cursor moved past it must not be cut again (a second cut from
   * the old cursor would overlap it with different bounds).
   */
  private async reconcile(): Promise<void> {
    const announced = this.state.data.announced;
    if (announced) {
      for (const entry of this.spool.list())
        if (entry.kind !== 'ldap' && entry.id <= announced.id) await this.spool.remove(entry.id);
    }
    const last = this.spool.list().findLast((e) => e.kind === 'segment' || e.kind === 'seal');
    if (!last) return;
    const end =
      last.kind === 'seal'
        ? { sequence: String(BigInt(last.sequence) + 1n), offset: 0 }
        : { sequence: last.sequence, offset: last.last };
    const cursor = this.state.data.cursor;
    if (!cursor || comparePositions(end, cursor) > 0) {
      this.deps.log.info('moving the cursor past the last spooled entry', { from: cursor, to: end });
      await this.state.update((s) => {
        s.cursor = end;
      });
    }
  }

  private kick(): void {
    this.wake?.();
  }

  /** Until `kick` (new entries spooled) or `ms`; a newer wait replaces an older one's wake-up. */
  private async waitForWork(ms: number): Promise<void> {
    let wake: (() => void) | undefined;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.wake = wake;
    });
    if (this.wake === wake) this.wake = undefined;
  }
}

/** Where a scan's cut sits in the stream: a barrier until its snapshot is spooled. */
export interface ScanCut {
  id: string;
  sequence: string;
  offset: number;
}

/** What a scan entry announces besides the object: which scan, which mailbox. */
export type ScanEntryFields = NonNullable<SpoolEntry['scan']>;

function comparePositions(
  a: { sequence: string; offset: number },
  b: { sequence: string; offset: number },
): number {
  const sa = BigInt(a.sequence);
  const sb = BigInt(b.sequence);
  if (sa !== sb) return sa < sb ? -1 : 1;
  return a.offset - b.offset;
}
