import type { PurgePlan } from '#core/retention/purge-request.ts';
import { listCatalog } from '#functions/catalog/catalog-store.ts';
import {
  type LockedReport,
  noteLocked,
  purgeCatalogEntry,
} from '#functions/retention/purge-catalog-entry.ts';
import type { PurgeTarget } from '#functions/retention/purge-mailbox.ts';

export interface DumpAndScanPurgeReport extends LockedReport {
  ldapDumpsPurged: number;
  scanSnapshotsPurged: number;
  dumpAndScanBytesFreed: number;
}

/**
 * On a server the purge covers whole, the LDAP dumps and scan snapshots the index has taken in and that are
 * older than the earliest cutoff: the index keeps what they said. The newest dump at or before the cutoff
 * stays (the directory as it was at the cutoff, readable without the index); a dump not indexed (pending,
 * refused as unreadable, or older than one indexed before it) and a snapshot not applied stay too, and so do
 * the base snapshots where the redo is cut (what a reindex starts from once the redo before them is gone).
 */
export async function purgeDumpsAndScans(
  target: PurgeTarget,
  plan: PurgePlan,
  serverId: string,
  cutoff: number,
  /** Where this purge cuts the server's redo: the base snapshots there (and any later) stay. */
  cut: string,
): Promise<DumpAndScanPurgeReport> {
  const report: DumpAndScanPurgeReport = {
    serverObjectsLocked: 0,
    ldapDumpsPurged: 0,
    scanSnapshotsPurged: 0,
    dumpAndScanBytesFreed: 0,
  };
  const consistent = { consistent: true };
  const cutoffIso = new Date(cutoff).toISOString();
  const dumps = (await listCatalog(target.indexTable, serverId, 'ldap-dump', consistent))
    .filter((d) => d.state === 'indexed' && d.dumpedAt <= cutoffIso)
    .sort((a, b) => (a.dumpedAt < b.dumpedAt ? -1 : 1));
  const older = dumps.slice(0, -1);
  const scans = (await listCatalog(target.indexTable, serverId, 'scan', consistent)).filter(
    (s) =>
      s.state === 'applied' &&
      Date.parse(s.takenAt) < cutoff &&
      !(s.scanKind === 'base' && s.position >= cut),
  );
  for (const [entries, counter] of [
    [older, 'ldapDumpsPurged'],
    [scans, 'scanSnapshotsPurged'],
  ] as const) {
    for (const entry of entries) {
      const done = await purgeCatalogEntry(target, plan.operationId, entry, plan.dryRun);
      if (done.outcome === 'locked') {
        noteLocked(report, done.until);
        continue;
      }
      report[counter]++;
      report.dumpAndScanBytesFreed += entry.storedSize;
    }
  }
  return report;
}
