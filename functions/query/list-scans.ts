import type { ScanRow } from '#core/control-api.ts';
import { listCatalog } from '#functions/catalog/catalog-store.ts';

const MOST = 500;

/** A server's scans, newest first (the newest 500 snapshots), or every snapshot of one scan with details. */
export async function listScans(table: string, serverId: string, scanId?: string): Promise<ScanRow[]> {
  const entries = (await listCatalog(table, serverId, 'scan')).filter(
    (e) => scanId === undefined || e.scanId === scanId,
  );
  const rows = entries.map((entry): ScanRow => {
    const row: ScanRow = {
      scanId: entry.scanId,
      scanKind: entry.scanKind,
      mailboxId: entry.mailboxId,
      accountId: entry.accountId,
      position: entry.position,
      takenAt: entry.takenAt,
      state: entry.state,
    };
    if (entry.late !== undefined) row.late = entry.late;
    if (entry.changes !== undefined) row.changes = entry.changes;
    if (entry.reason !== undefined) row.reason = entry.reason;
    if (scanId !== undefined && entry.details !== undefined) row.details = entry.details;
    return row;
  });
  rows.sort((a, b) => (a.takenAt < b.takenAt ? 1 : a.takenAt > b.takenAt ? -1 : a.mailboxId - b.mailboxId));
  return scanId === undefined ? rows.slice(0, MOST) : rows;
}
