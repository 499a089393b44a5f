import type { ServerStatus } from '#core/control-api.ts';
import type { AgentReportItem } from '#core/operations/agent-reports.ts';
import { backupCurrency } from '#core/operations/backup-currency.ts';
import { listCatalog } from '#functions/catalog/catalog-store.ts';
import { readServerIndexState, type ServerIndexState } from '#functions/query/server-index-state.ts';

/**
 * One server's "is my backup current?": the agent's last report against the index's cursor. The bytes in
 * between are counted from the catalogue (the files the agent shipped past the cursor, each to its seal or its
 * last catalogued segment); announced segments not catalogued yet (still in the ingest queue) count too,
 * because the agent's position is what it announced.
 */
export async function serverStatus(
  table: string,
  serverId: string,
  report: AgentReportItem | undefined,
  /** Where the index stands, when the caller has read it already (for the restore points too). */
  state?: ServerIndexState,
): Promise<ServerStatus> {
  const [{ cursor, reindex, segments }, seals] = await Promise.all([
    state ?? readServerIndexState(table, serverId),
    listCatalog(table, serverId, 'seal'),
  ]);
  const fileEnds = new Map<string, number>();
  for (const s of segments) fileEnds.set(s.seq, Math.max(fileEnds.get(s.seq) ?? 0, Number(s.lastOffset)));
  for (const s of seals) fileEnds.set(s.seq, Number(s.size));
  // Before the first segment is indexed there is no cursor: the stream starts where the catalogue does.
  const first = segments.find((s) => s.state !== 'purged');
  const applied = cursor
    ? {
        sequence: cursor.seq,
        offset: Number(cursor.offset),
        ...(cursor.lastCommitTime !== undefined ? { lastCommitTime: cursor.lastCommitTime } : {}),
      }
    : first
      ? { sequence: first.seq, offset: Number(first.firstOffset) }
      : null;
  const announced = report?.report.announced ?? null;
  return {
    serverId,
    agent: report ? { receivedAt: report.receivedAt, ...report.report } : null,
    index: {
      state: reindex ? 'reindexing' : (cursor?.state ?? 'not started'),
      ...(cursor?.reason ? { reason: cursor.reason } : {}),
      appliedTo: cursor ? { sequence: cursor.seq, offset: Number(cursor.offset) } : null,
      appliedOpTime:
        cursor?.lastCommitTime !== undefined ? new Date(cursor.lastCommitTime).toISOString() : null,
      waitingSegments: segments.filter((s) => s.state !== 'indexed' && s.state !== 'purged').length,
    },
    behind: backupCurrency({ shipped: announced, applied, fileEnds }),
  };
}
