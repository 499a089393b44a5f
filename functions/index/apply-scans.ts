import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { catalogEntryOfKind, type ScanEntry } from '#core/index/catalog-entries.ts';
import type { Item } from '#core/index/entity-items.ts';
import { bodiesOf, itemIdOf, MAILBOX_KEY } from '#core/index/index-entity.ts';
import { reconcileScan, type ScanChanges } from '#core/index/reconcile-scan.ts';
import { redoPosition } from '#core/index/redo-position.ts';
import { VersionOverlay } from '#core/index/version-overlay.ts';
import { indexKeys, keyPrefixes } from '#core/index-keys.ts';
import { parseScanSnapshot, type ScanSnapshot, ScanSnapshotError } from '#core/scan/scan-snapshot.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import { SegmentMismatchError } from '#functions/errors.ts';
import { noteRescan } from '#functions/index/bridge-gap.ts';
import { SegmentCorruptError } from '#functions/index/errors.ts';
import type { IndexCursor } from '#functions/index/index-cursor.ts';
import type { IndexTarget } from '#functions/index/index-segment.ts';
import { loadEntities } from '#functions/index/load-entities.ts';
import { type DeletedHead, persistOverlay } from '#functions/index/persist-overlay.ts';
import { fetchPlaintext } from '#functions/index/segment-object.ts';
import { queryAll } from '#functions/query/query-all.ts';
import { resolveUncertain } from '#functions/query/uncertain-marks.ts';

/** A catalogued scan snapshot (see record-shipment). */
export type ScanItem = ScanEntry;

export interface ScanResult {
  scanId: string;
  mailboxId: number;
  state: 'applied' | 'rejected';
  /** Applied after redo beyond its position was already indexed (changes in between may be missed). */
  late?: boolean;
  changes?: Omit<ScanChanges, 'details'>;
  reason?: string;
}

/**
 * Applies the pending scans of a server whose place in the stream is reached: every one at or before
 * `before` (the next segment's start), or all of them when no segment follows. A scan is stamped just
 * before its cut, a position no redo transaction can have, so the redo after the cut applies on top of it.
 */
export async function applyPendingScans(
  target: IndexTarget,
  cursor: IndexCursor | undefined,
  before: string | undefined,
  deleted: readonly DeletedHead[] = [],
): Promise<ScanResult[]> {
  const results: ScanResult[] = [];
  for (const scan of await pendingScans(target, before))
    results.push(await applyScan(target, cursor, scan, deleted));
  return results;
}

async function pendingScans(target: IndexTarget, before: string | undefined): Promise<ScanItem[]> {
  const { items } = await queryAll({
    TableName: target.table,
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
    FilterExpression: '#state = :pending',
    ExpressionAttributeNames: { '#state': 'state' },
    ExpressionAttributeValues: {
      ':pk': indexKeys.server(target.serverId),
      ':from': keyPrefixes.scan,
      ':to': before === undefined ? 'SCAN$' : `SCAN#${before}$`,
      ':pending': 'pending',
    },
    ConsistentRead: true,
  });
  return items.map((item) => catalogEntryOfKind('scan', item));
}

async function applyScan(
  target: IndexTarget,
  cursor: IndexCursor | undefined,
  scan: ScanItem,
  deleted: readonly DeletedHead[],
): Promise<ScanResult> {
  let snapshot: ScanSnapshot;
  try {
    snapshot = parseScanSnapshot(
      (await fetchPlaintext(target.bucket, scan.s3Key, scan.sha256, scan.codec)).toString('utf8'),
    );
    const h = snapshot.header;
    if (
      h.serverId !== target.serverId ||
      h.mailboxId !== scan.mailboxId ||
      h.scanId !== scan.scanId ||
      redoPosition(h.position.seq, h.position.offset) !== scan.position
    )
      throw new ScanSnapshotError(
        'its header names another server, mailbox, scan or position than announced',
      );
  } catch (error) {
    if (
      !(error instanceof ScanSnapshotError) &&
      !(error instanceof SegmentCorruptError) &&
      !(error instanceof SegmentMismatchError)
    )
      throw error;
    const reason = `scan snapshot ${scan.s3Key} is refused: ${(error as Error).message}`;
    await finish(target, scan, { state: 'rejected', reason });
    return { scanId: scan.scanId, mailboxId: scan.mailboxId, state: 'rejected', reason };
  }
  const cursorPos = cursor ? redoPosition(cursor.seq, cursor.offset) : undefined;
  const late = cursorPos !== undefined && cursorPos > scan.position;
  const cut = BigInt(scan.offset);
  // Just before the cut (no record starts in the last byte of another), or the file's start (its header);
  // the snapshot's time orders two scans at one cut, and keeps a retry of this one apart from the other.
  const base = late ? (cursorPos as string) : redoPosition(scan.seq, cut > 0n ? cut - 1n : 0n);
  const position = `${base}#${String(Date.parse(snapshot.header.takenAt)).padStart(15, '0')}`;
  // On the redo stream's clock (the server's), like every version: the last commit before the cut.
  const time = cursor?.lastCommitTime ?? Date.parse(snapshot.header.takenAt);

  const overlay = new VersionOverlay();
  const stale = await loadEntities(
    { table: target.table, serverId: target.serverId, segmentStart: position, deleted },
    overlay,
    [
      { mailboxId: scan.mailboxId, key: MAILBOX_KEY },
      { mailboxId: scan.mailboxId, all: true },
    ],
  );
  overlay.begin(position, time, 'Scan');
  const { details, ...changes } = reconcileScan(snapshot, overlay);
  await persistOverlay(target.table, target.serverId, overlay, {
    extra: referenceItems(target.serverId, overlay, snapshot),
    commit: [],
    stale,
  });
  await finish(target, scan, { state: 'applied', changes, details, late, appliedAt: position });
  await noteRescan(target, scan.mailboxId, position);
  await resolveUncertain(target.table, target.serverId, scan.mailboxId, position, time);
  return { scanId: scan.scanId, mailboxId: scan.mailboxId, state: 'applied', late, changes };
}

/** Blob references of the messages the scan wrote, and the account → mailbox link of a mailbox it found. */
function referenceItems(serverId: string, overlay: VersionOverlay, snapshot: ScanSnapshot): Item[] {
  const items: Item[] = [];
  for (const { mailboxId, key, head } of overlay.changedHeads()) {
    const state = head.state;
    for (const body of bodiesOf(state))
      items.push({
        pk: indexKeys.blob(body.sha256),
        sk: indexKeys.blobRef(serverId, mailboxId, itemIdOf(key) as number),
        ...(body.size !== undefined ? { size: body.size } : {}),
        firstSeen: head.fromTime,
      });
    if (state?.kind === 'mailbox')
      items.push({
        pk: indexKeys.account(state.accountId),
        sk: indexKeys.accountMailbox(serverId, mailboxId),
        serverId,
        mailboxId,
        createdAt: Date.parse(snapshot.header.takenAt),
      });
  }
  return items;
}

async function finish(
  target: IndexTarget,
  scan: ScanItem,
  outcome: Record<string, unknown> & { state: 'applied' | 'rejected' },
): Promise<void> {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets = Object.entries({ ...outcome, finishedAt: new Date().toISOString() }).map(([k, v], i) => {
    names[`#f${i}`] = k;
    values[`:v${i}`] = v;
    return `#f${i} = :v${i}`;
  });
  await dynamodb().send(
    new UpdateCommand({
      TableName: target.table,
      Key: { pk: scan.pk, sk: scan.sk },
      UpdateExpression: `SET ${sets.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    }),
  );
}
