import { indexKeys } from '#core/index-keys.ts';
import { queryAll } from '#functions/query/query-all.ts';

/** One mailbox snapshot of a scan, as the indexer recorded it: what it found wrong in the index and fixed. */
export interface ScanRow {
  scanId: string;
  scanKind: string;
  mailboxId: number;
  accountId: string;
  position: string;
  takenAt: string;
  state: 'pending' | 'applied' | 'rejected';
  late?: boolean;
  changes?: { added: number; changed: number; deleted: number; unchanged: number; mailboxAdded: boolean };
  reason?: string;
  /** With one scan asked for: the first changes, each with the fields the index had wrong. */
  details?: { key: string; change: string; fields?: string[] }[];
}

const MOST = 500;

/** A server's scans, newest first (the newest 500 snapshots), or every snapshot of one scan with details. */
export async function listScans(table: string, serverId: string, scanId?: string): Promise<ScanRow[]> {
  const { items } = await queryAll({
    TableName: table,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :scan)',
    ExpressionAttributeValues: {
      ':pk': indexKeys.server(serverId),
      ':scan': 'SCAN#',
      ...(scanId !== undefined ? { ':id': scanId } : {}),
    },
    ...(scanId !== undefined ? { FilterExpression: 'scanId = :id' } : {}),
  });
  const rows = items.map((item): ScanRow => {
    const row: ScanRow = {
      scanId: item.scanId as string,
      scanKind: item.scanKind as string,
      mailboxId: item.mailboxId as number,
      accountId: item.accountId as string,
      position: item.position as string,
      takenAt: item.takenAt as string,
      state: item.state as ScanRow['state'],
    };
    if (item.late !== undefined) row.late = item.late as boolean;
    if (item.changes !== undefined) row.changes = item.changes as ScanRow['changes'];
    if (item.reason !== undefined) row.reason = item.reason as string;
    if (scanId !== undefined && item.details !== undefined) row.details = item.details as ScanRow['details'];
    return row;
  });
  rows.sort((a, b) => (a.takenAt < b.takenAt ? 1 : a.takenAt > b.takenAt ? -1 : a.mailboxId - b.mailboxId));
  return scanId === undefined ? rows.slice(0, MOST) : rows;
}
