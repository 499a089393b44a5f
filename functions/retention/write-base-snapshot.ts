import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { catalogItem } from '#core/index/catalog-entries.ts';
import { redoPosition } from '#core/index/redo-position.ts';
import { baseScanId } from '#core/retention/base-scan-id.ts';
import type { PurgeEntry, RedoCut } from '#core/retention/purge-request.ts';
import { SCAN_FORMAT, type ScanHeader, snapshotItemCount } from '#core/scan/scan-snapshot.ts';
import { serverKeys } from '#core/storage/server-keys.ts';
import { EXPORT_MAILBOX_FORMAT, formatSnapshotLines } from '#core/transfer/export-format.ts';
import { exportMailboxOf } from '#core/transfer/export-mailbox-of.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import { mailboxAsOf } from '#functions/query/mailbox-as-of.ts';
import type { PurgeTarget } from '#functions/retention/purge-mailbox.ts';
import { putStored } from '#functions/transfer/stored-objects.ts';

export interface BaseSnapshotResult {
  /** Items the snapshot format cannot carry (a message whose body never reached the backup): left out. */
  leftOut: number;
  written: boolean;
}

/**
 * One mailbox as the index holds it where a purge cuts its history (the mailbox's own cut, at or after the
 * server's), written to the bucket as a scan
 * snapshot of kind `base` at that position and catalogued as applied (the index already says what it says).
 * With the redo before it gone, this is what a reindex from the bucket starts the mailbox from; its scan id
 * names the server's cut, where such a reindex starts (see baseScanId). Idempotent: a retry writes the same
 * object and the same entry. A mailbox that did not exist there needs none.
 */
export async function writeBaseSnapshot(
  target: PurgeTarget,
  entry: PurgeEntry,
  base: RedoCut,
  serverCut: RedoCut,
): Promise<BaseSnapshotResult> {
  const state = await mailboxAsOf(target.indexTable, entry.serverId, entry.mailboxId, base.time);
  if (!state) return { leftOut: 0, written: false };
  const takenAt = new Date(base.time).toISOString();
  const { mailbox, unexportable } = exportMailboxOf(
    {
      type: 'header',
      format: EXPORT_MAILBOX_FORMAT,
      serverId: entry.serverId,
      mailboxId: entry.mailboxId,
      accountId: state.mailbox.accountId,
      accountName: state.mailbox.renamedTo ?? '',
      time: takenAt,
    },
    [...state.entities].sort(([a], [b]) => a.localeCompare(b)),
    // The index's own state, read back only into this mailbox: its threads come back with it.
    { threads: true },
  );
  const scanId = baseScanId(serverCut);
  const header: ScanHeader = {
    type: 'header',
    format: SCAN_FORMAT,
    scanId,
    kind: 'base',
    serverId: entry.serverId,
    mailboxId: entry.mailboxId,
    accountId: state.mailbox.accountId,
    accountName: state.mailbox.renamedTo ?? '',
    changeCheckpoint: 0,
    position: { seq: base.seq, offset: base.offset },
    takenAt,
  };
  const text = formatSnapshotLines(header, mailbox);
  const key = serverKeys.scan(entry.serverId, state.mailbox.accountId, takenAt, sha256Hex(text));
  const stored = await putStored(target.backupBucket, key, text, 'application/x-ndjson');
  const position = redoPosition(base.seq, base.offset);
  await dynamodb().send(
    new PutCommand({
      TableName: target.indexTable,
      Item: {
        ...catalogItem({
          type: 'scan-snapshot',
          serverId: entry.serverId,
          key,
          ...stored,
          codec: 'zstd',
          seq: base.seq,
          offset: base.offset,
          scanId,
          scanKind: 'base',
          mailboxId: entry.mailboxId,
          accountId: state.mailbox.accountId,
          items: snapshotItemCount(mailbox),
          takenAt,
          shippedAt: new Date().toISOString(),
        }),
        state: 'applied',
        appliedAt: position,
      },
    }),
  );
  return { leftOut: unexportable.length, written: true };
}
