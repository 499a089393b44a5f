import type { PurgePlan } from '#core/retention/purge-request.ts';
import { listCatalog } from '#functions/catalog/catalog-store.ts';
import {
  type LockedReport,
  noteLocked,
  purgeCatalogEntry,
} from '#functions/retention/purge-catalog-entry.ts';
import type { PurgeTarget } from '#functions/retention/purge-mailbox.ts';

export interface BodyPackPurgeReport extends LockedReport {
  bodyPacksPurged: number;
  bodyPackBytesFreed: number;
}

/**
 * The packs of bodies scans shipped, once taken in: every body they held is in the indexer's own packs (or
 * was damaged, and is reported by the restores that need it), so they go whatever the retention. A pack not
 * taken in yet stays; Object Lock is waited for like for every server object.
 */
export async function purgeBodyPacks(
  target: PurgeTarget,
  plan: PurgePlan,
  servers: Iterable<string>,
): Promise<BodyPackPurgeReport> {
  const report: BodyPackPurgeReport = { bodyPacksPurged: 0, bodyPackBytesFreed: 0, serverObjectsLocked: 0 };
  for (const serverId of servers) {
    const packs = await listCatalog(target.indexTable, serverId, 'body-pack', { consistent: true });
    for (const entry of packs) {
      if (entry.state !== 'applied') continue;
      const done = await purgeCatalogEntry(target, plan.operationId, entry, plan.dryRun);
      if (done.outcome === 'locked') {
        noteLocked(report, done.until);
        continue;
      }
      report.bodyPacksPurged++;
      report.bodyPackBytesFreed += entry.storedSize;
    }
  }
  return report;
}
