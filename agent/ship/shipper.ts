import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { AgentConfig } from '#agent/config/agent-config.ts';
import type { AgentLog } from '#agent/observability.ts';
import { type AgentLag, agentLag } from '#agent/ship/agent-lag.ts';
import { AgentState } from '#agent/ship/agent-state.ts';
import { Announcer } from '#agent/ship/announcer.ts';
import { type DumpDirectory, LdapSchedule } from '#agent/ship/ldap-schedule.ts';
import { Producer } from '#agent/ship/producer.ts';
import { reconcileSpool } from '#agent/ship/reconcile-spool.ts';
import { type ScanCut, ScanCuts } from '#agent/ship/scan-cuts.ts';
import { emptyShipReport, type ShipReport } from '#agent/ship/ship-report.ts';
import { Spool, type SpoolEntry } from '#agent/ship/spool.ts';
import { bodyPackEntry } from '#agent/ship/spool-entries.ts';
import { Uploader } from '#agent/ship/uploader.ts';
import { Wakeup } from '#agent/ship/wakeup.ts';

export type { ShipReport } from '#agent/ship/ship-report.ts';

export interface ShipperDeps {
  config: AgentConfig;
  s3: S3Client;
  sqs: SQSClient;
  log: AgentLog;
  /** Reads the LDAP directory for a dump (tests give their own). */
  dumpDirectory?: DumpDirectory;
}

/**
 * Ships the redo log in stages: the producer follows it (from where the last run stopped), cuts segments
 * and spools them durably; the uploader puts them in S3 and the announcer announces them in order on the
 * FIFO ingest queue; the LDAP schedule and scans add entries to the same spool. A crash at any instant
 * loses nothing: what is spooled is uploaded and announced after restart, and re-announcing is harmless.
 */
export class Shipper {
  readonly state: AgentState;
  readonly spool: Spool;
  private readonly deps: ShipperDeps;
  private readonly report: ShipReport = emptyShipReport();
  private readonly work = new Wakeup();
  private readonly cuts: ScanCuts;
  private readonly producer: Producer;
  private readonly uploader: Uploader;
  private readonly ldap: LdapSchedule;

  private constructor(deps: ShipperDeps, state: AgentState, spool: Spool) {
    this.deps = deps;
    this.state = state;
    this.spool = spool;
    const spooled = () => this.work.kick();
    const { config, log, s3, sqs } = deps;
    this.cuts = new ScanCuts(spooled, () => this.producer.cutRequested());
    const report = this.report;
    const cuts = this.cuts;
    this.producer = new Producer({ config, log, state, spool, cuts, report, spooled });
    const announcer = new Announcer({
      serverId: config.serverId,
      queueUrl: config.aws.ingestQueueUrl,
      sqs,
      state,
      spool,
      cuts,
      report,
    });
    this.uploader = new Uploader({ config, s3, log, state, spool, announcer, report, work: this.work });
    const { dumpDirectory } = deps;
    this.ldap = new LdapSchedule({ config, log, state, spool, spooled, dumpDirectory });
  }

  static async open(deps: ShipperDeps): Promise<Shipper> {
    const state = await AgentState.open(deps.config.stateDir, deps.config.serverId);
    const spool = new Spool(join(deps.config.stateDir, 'spool'));
    await spool.open();
    await reconcileSpool(spool, state, deps.log);
    return new Shipper(deps, state, spool);
  }

  /** The daemon: follow, spool, upload and announce (and dump LDAP on schedule) until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    // A reader failure (say, a replaced log) stops the uploads and the schedule too, so the process ends.
    const local = new AbortController();
    const stop = AbortSignal.any([signal, local.signal]);
    // Shipping outlives a stop by a grace: what was read or dumped by then (the last segment, an LDAP dump
    // just taken) is uploaded and announced, rather than left spooled, maybe uploaded, until the next start.
    const shipping = new AbortController();
    // The uploader may end once the spool is empty only after everything that spools has ended: a stop
    // comes during an LDAP dump, say, which spools after it (and would be left behind).
    const produced = new AbortController();
    const uploading = this.uploader.run(shipping.signal, undefined, produced.signal);
    const ldap = this.ldap.run(stop);
    try {
      await this.producer.run(stop, false);
    } finally {
      local.abort();
      this.ldap.interrupt();
      await ldap;
      await this.ldap.settled();
      produced.abort();
      const grace = setTimeout(() => shipping.abort(), this.deps.config.upload.stopGraceSeconds * 1000);
      this.work.kick();
      await uploading;
      clearTimeout(grace);
    }
  }

  /** How far shipping is behind the live log now. */
  lag(now = Date.now()): AgentLag {
    return agentLag(this.spool.list(), this.state.data.cursor, this.state.data.live, now);
  }

  /** Asks a running `run` for an LDAP dump now (SIGUSR1, `agent ldap-dump`). */
  requestLdapDump(): void {
    this.ldap.request();
  }

  /**
   * Dumps the directory and spools the compressed LDIF (shipped after the redo spooled before it). A failed
   * bind or search throws and spools nothing.
   */
  dumpLdap(): Promise<SpoolEntry> {
    return this.ldap.dump();
  }

  /**
   * Cuts the shipped stream for a scan of one mailbox: everything read so far is spooled as a segment, and
   * the scan's place in the stream is held (a barrier) until `spoolScan` fills it or the cut is released.
   * Reading and uploading go on meanwhile; only announcements after the cut wait, so the indexer meets the
   * scan exactly between the redo before and after it. Needs `run` to be going (it serves the cut).
   */
  cutForScan(mailboxId: number, scanId: string, signal?: AbortSignal): Promise<ScanCut> {
    return this.cuts.request(mailboxId, scanId, signal);
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

  /** Spools a pack of bodies a scan read, in the stream where the log has been read to. */
  async spoolBodyPack(pack: { bytes: Buffer; sha256: string; bodies: number }): Promise<SpoolEntry> {
    const cursor = this.state.data.cursor ?? { sequence: '0', offset: 0 };
    const { entry, stored } = bodyPackEntry(this.deps.config.serverId, cursor, pack);
    await this.spool.put(entry, stored);
    this.work.kick();
    return entry;
  }

  /** Gives up a cut (the scan failed): announcements after it go on. */
  releaseCut(cut: ScanCut): void {
    this.cuts.release(cut);
  }

  /** Ships everything the log holds now, then returns (cron-style). Fails if S3 or SQS stays unreachable. */
  async shipOnce(signal: AbortSignal = new AbortController().signal): Promise<ShipReport> {
    // Uploads start while the log is still being read; either side's failure stops the other.
    const local = new AbortController();
    const stop = AbortSignal.any([signal, local.signal]);
    let reading = true;
    let failure: unknown;
    const uploading = this.uploader
      .run(stop, () => !reading)
      .catch((error: unknown) => {
        failure ??= error;
        local.abort();
      });
    try {
      await this.producer.run(stop, true);
    } catch (error) {
      failure ??= error;
      local.abort();
    } finally {
      reading = false;
      this.work.kick();
      await uploading;
    }
    if (failure !== undefined) throw failure;
    return { ...this.report, cursor: this.state.data.cursor };
  }

  /** Uploads and announces what is spooled, without reading the log (an on-demand LDAP dump). */
  async drain(signal: AbortSignal = new AbortController().signal): Promise<void> {
    await this.uploader.run(signal, () => true);
  }
}
