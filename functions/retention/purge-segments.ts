import { segmentEnd } from '#core/index/catalog-entries.ts';
import { redoPosition } from '#core/index/redo-position.ts';
import type { PurgePlan } from '#core/retention/purge-request.ts';
import { listCatalog } from '#functions/catalog/catalog-store.ts';
import { noteLocked, noteLockedUntil, purgeCatalogEntry } from '#functions/retention/purge-catalog-entry.ts';
import {
  type DumpAndScanPurgeReport,
  purgeDumpsAndScans,
} from '#functions/retention/purge-dumps-and-scans.ts';
import type { PurgeTarget } from '#functions/retention/purge-mailbox.ts';

export interface SegmentPurgeReport extends DumpAndScanPurgeReport {
  segmentsPurged: number;
  segmentBytesFreed: number;
  /** Servers whose redo is kept whole: a mailbox on them is kept whole, or the purge named accounts. */
  serversKept: number;
}

/**
 * Redo segments every retained version is already in the index from, up to where the plan cut each server's
 * redo (see ServerRedoPlan: only on a server all of whose mailboxes the purge covered, never past the cursor
 * or a record an open transaction needs, and only after each mailbox's base snapshot there is written). Its
 * catalog entry stays, marked purged, so the stream keeps no hole (restore-point listings and the coherency
 * check know it is gone on purpose). The server's LDAP dumps and scan snapshots older than the earliest cutoff
 * go with them (see purgeDumpsAndScans), the base snapshots at the cut excepted.
 */
export async function purgeSegments(target: PurgeTarget, plan: PurgePlan): Promise<SegmentPurgeReport> {
  const report: SegmentPurgeReport = {
    segmentsPurged: 0,
    segmentBytesFreed: 0,
    serversKept: 0,
    ldapDumpsPurged: 0,
    scanSnapshotsPurged: 0,
    dumpAndScanBytesFreed: 0,
    serverObjectsLocked: 0,
  };
  for (const serverId of new Set(plan.entries.map((e) => e.serverId))) {
    const cutoffs = plan.entries.filter((e) => e.serverId === serverId).map((e) => e.cutoff);
    const base = plan.servers?.[serverId]?.cut;
    if (plan.accountsNamed || cutoffs.some((c) => c === undefined)) {
      report.serversKept++;
      continue;
    }
    // No new cut (nothing old enough, or a plan from before cuts): every base snapshot stays.
    const cut = base ? redoPosition(base.seq, base.offset) : '';
    const other = await purgeDumpsAndScans(target, plan, serverId, Math.min(...(cutoffs as number[])), cut);
    report.ldapDumpsPurged += other.ldapDumpsPurged;
    report.scanSnapshotsPurged += other.scanSnapshotsPurged;
    report.dumpAndScanBytesFreed += other.dumpAndScanBytesFreed;
    report.serverObjectsLocked += other.serverObjectsLocked;
    if (other.serverObjectsLockedUntil) noteLockedUntil(report, other.serverObjectsLockedUntil);
    const segments = await listCatalog(target.indexTable, serverId, 'segment', { consistent: true });
    for (const segment of segments) {
      if (segment.state !== 'indexed') continue;
      if (segmentEnd(segment) > cut) continue; // '' (no cut) is before every segment
      const done = await purgeCatalogEntry(target, plan.operationId, segment, plan.dryRun);
      if (done.outcome === 'locked') {
        noteLocked(report, done.until);
        continue;
      }
      report.segmentsPurged++;
      report.segmentBytesFreed += segment.storedSize;
    }
  }
  return report;
}
