import { SCAN_FORMAT, type ScanHeader } from '#core/scan/scan-snapshot.ts';
import { type ExportMailbox, formatSnapshotLines } from '#core/transfer/export-format.ts';

/** Where an imported mailbox is placed in its server's stream: before any redo, at the export's instant. */
export const IMPORT_POSITION = { seq: '0', offset: '0' } as const;

/**
 * An exported mailbox as the scan snapshot an agent would have shipped of it at the export's instant: the
 * indexer makes the mailbox equal to it, so an import reuses the path every full scan takes.
 */
export function scanSnapshotOfExport(
  mailbox: ExportMailbox,
  scanId: string,
): { text: string; header: ScanHeader } {
  const header: ScanHeader = {
    type: 'header',
    format: SCAN_FORMAT,
    scanId,
    kind: 'full',
    serverId: mailbox.header.serverId,
    mailboxId: mailbox.header.mailboxId,
    accountId: mailbox.header.accountId,
    accountName: mailbox.header.accountName,
    changeCheckpoint: 0,
    position: { ...IMPORT_POSITION },
    takenAt: mailbox.header.time,
  };
  return { text: formatSnapshotLines(header, mailbox), header };
}
