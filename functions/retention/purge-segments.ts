import { redoPosition } from '#core/index/redo-position.ts';
import { indexKeys } from '#core/index-keys.ts';
import type { PurgePlan } from '#core/retention/purge-request.ts';
import { readCursor } from '#functions/index/index-cursor.ts';
import { queryAll } from '#functions/query/query-all.ts';
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
 * Redo segments every retained version is already in the index from: on a server all of whose mailboxes the
 * purge covered, a segment goes when its last operation is older than the earliest cutoff there, it is
 * indexed, and no transaction still open at the cursor refers to it. Its catalog entry stays, marked purged,
 * so the stream keeps no hole (restore-point listings and the coherency check know it is gone on purpose).
 * The server's LDAP dumps and scan snapshots older than that cutoff go with them (see purgeDumpsAndScans).
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
  // The earliest cutoff of a server's mailboxes; undefined when one of them is kept whole.
  const servers = new Map<string, number | undefined>();
  for (const serverId of new Set(plan.entries.map((e) => e.serverId))) {
    const cutoffs = plan.entries.filter((e) => e.serverId === serverId).map((e) => e.cutoff);
    servers.set(
      serverId,
      cutoffs.some((c) => c === undefined) ? undefined : Math.min(...(cutoffs as number[])),
    );
  }
  for (const [serverId, cutoff] of servers) {
    if (cutoff === undefined || plan.accountsNamed) {
      report.serversKept++;
      continue;
    }
    const other = await purgeDumpsAndScans(target, plan, serverId, cutoff);
    report.ldapDumpsPurged += other.ldapDumpsPurged;
    report.scanSnapshotsPurged += other.scanSnapshotsPurged;
    report.dumpAndScanBytesFreed += other.dumpAndScanBytesFreed;
    report.serverObjectsLocked += other.serverObjectsLocked;
    if (other.serverObjectsLockedUntil) noteLockedUntil(report, other.serverObjectsLockedUntil);
    const cursor = await readCursor(target.indexTable, serverId);
    if (!cursor) continue;
    // Nothing at or after the earliest record a pending transaction still needs, nor past the cursor.
    const floor = [
      redoPosition(cursor.seq, cursor.offset),
      ...cursor.pending.flatMap((t) => t.ops.map((o) => redoPosition(o.seq, o.offset))),
    ].sort()[0] as string;
    const { items } = await queryAll({
      TableName: target.indexTable,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :seg)',
      FilterExpression: '#state = :indexed',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':pk': indexKeys.server(serverId), ':seg': 'SEG#', ':indexed': 'indexed' },
      ConsistentRead: true,
    });
    for (const segment of items) {
      const last = Date.parse((segment.lastOpTime ?? segment.firstOpTime ?? '') as string);
      if (!(last < cutoff)) continue;
      if (redoPosition(segment.seq as string, segment.lastOffset as string) >= floor) continue;
      const done = await purgeCatalogEntry(target, plan.operationId, segment, plan.dryRun);
      if (done.outcome === 'locked') {
        noteLocked(report, done.until);
        continue;
      }
      report.segmentsPurged++;
      report.segmentBytesFreed += Number(segment.storedSize ?? 0);
    }
  }
  return report;
}
