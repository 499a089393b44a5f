import { randomUUID } from 'node:crypto';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
} from '@aws-sdk/client-s3';
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { inParallel } from '#core/in-parallel.ts';
import { storedKey } from '#core/index/stored-key.ts';
import { INCOMING_REF_HOURS, indexKeys, keyPrefixes } from '#core/index-keys.ts';
import { blobKey } from '#core/storage/body-keys.ts';
import {
  type BodyLocation,
  HELD_REFS,
  heldRefsOf,
  heldRefsValue,
  locationItem,
  locationOf,
} from '#core/storage/body-location.ts';
import { isNotFound } from '#functions/clients/bucket-objects.ts';
import { dynamodb, isConditionFailed } from '#functions/clients/dynamodb.ts';
import { s3 } from '#functions/clients/s3.ts';
import { queryAll } from '#functions/query/query-all.ts';
import { readJsonArrays } from '#functions/restore/operation-objects.ts';
import {
  candidatesPrefix,
  type PurgeCandidate,
  type PurgeTarget,
} from '#functions/retention/purge-mailbox.ts';
import { markSweep } from '#functions/storage/sweep-marks.ts';

export interface SweepReport {
  candidates: number;
  /** Deleted (or, in a dry run, that would be): no reference was left. */
  blobsDeleted: number;
  bytesFreed: number;
  /** Still referred to by another mailbox, server or retained version. */
  blobsKept: number;
  /** A reference appeared while deleting: the blob was put back. */
  blobsRestored: number;
  /** Already gone from the store (a coherency check reports why). */
  blobsMissing: number;
  /** Left in place, unreferenced: Object Lock holds them until the latest of these dates. Not deleted yet,
   * they wait (a `LOCKED` item each) for the first purge after their date. */
  lockedUntil?: string;
  blobsLocked: number;
}

/**
 * The last step of a purge but the repack: every blob whose references the mailboxes' shares removed is deleted when no
 * reference is left, race-safe against indexing that refers to it again meanwhile (a redelivered message):
 * a marker is written first, references are checked before and after the delete, and a reference that
 * appeared puts the blob back from its previous version. The indexer, for its part, writes a body again
 * when it refers to a marked blob. A blob Object Lock still holds is not touched: it is reported and waits.
 * A packed body's location is dropped the same way (conditionally, put back if a reference appeared), and
 * its pack added to `packs` for the repack that frees the bytes.
 */
export async function sweepBlobs(
  target: PurgeTarget,
  operationId: string,
  dryRun: boolean,
  packs: Set<string> = new Set(),
): Promise<SweepReport> {
  const candidates = await readJsonArrays<PurgeCandidate>(target.backupBucket, candidatesPrefix(operationId));
  const removed = new Set(candidates.map((c) => `${c.sha256} ${c.ref}`));
  // Blobs an earlier purge left to Object Lock are looked at again: their lock may have run out.
  const waiting = new Set(await waitingBlobs(target.indexTable));
  const shas = [...new Set([...candidates.map((c) => c.sha256), ...waiting])].sort();
  const report: SweepReport = {
    candidates: shas.length,
    blobsDeleted: 0,
    bytesFreed: 0,
    blobsKept: 0,
    blobsRestored: 0,
    blobsMissing: 0,
    blobsLocked: 0,
  };
  const now = Date.now();
  // Marked before any location goes, and finished whatever happens: indexers writing meanwhile look again.
  const mark = dryRun ? undefined : await markSweep(target.indexTable, `${operationId}#${randomUUID()}`);
  try {
    await inParallel(shas, 8, async (sha256) => {
      const isRemoved = (ref: string) => removed.has(`${sha256} ${ref}`);
      const refs = await references(target.indexTable, sha256);
      // A dry run removed nothing: the blob would go if every reference left is one it would remove. A
      // reference a location holds is never deleted by the mailbox's share: it is left here.
      const left = liveReferences(refs, isRemoved, dryRun);
      const settled = async () => {
        if (!dryRun && waiting.has(sha256)) await stopWaiting(target.indexTable, sha256);
      };
      if (left.length > 0) {
        report.blobsKept++;
        if (!dryRun && refs.held.some(isRemoved))
          await releaseHeld(target.indexTable, sha256, refs.held, isRemoved);
        await settled();
        return;
      }
      // A packed body: its location goes (the pack's bytes go when a repack finds nothing there is live).
      const location = refs.location;
      let dropped = false;
      if (location) {
        if (raced(report, dryRun ? 'dropped' : await dropLocation(target.indexTable, location, isRemoved)))
          return;
        dropped = true;
        packs.add(location.pack);
        report.bytesFreed += location.length;
      }
      // A body stored alone (a scan's upload before packs; a packed body may have one too).
      const head = await headBlob(target.backupBucket, sha256);
      if (!head) {
        if (dropped) report.blobsDeleted++;
        else report.blobsMissing++;
        await settled();
        return;
      }
      // Object Lock would only let a delete hide it: it stays, and waits for a purge after its date.
      if (head.lockedUntil !== undefined && head.lockedUntil.getTime() > now) {
        report.blobsLocked++;
        const until = head.lockedUntil.toISOString();
        if (!report.lockedUntil || until > report.lockedUntil) report.lockedUntil = until;
        if (!dryRun) await wait(target.indexTable, sha256, until, operationId);
        return;
      }
      if (!dryRun && raced(report, await deleteBlob(target, sha256, isRemoved))) return;
      report.blobsDeleted++;
      report.bytesFreed += head.size;
      await settled();
    });
  } finally {
    await mark?.finish();
  }
  return report;
}

/** Counts a delete a reference (or a new write) got in the way of; whether one did. */
function raced(report: SweepReport, outcome: 'deleted' | 'dropped' | 'kept' | 'restored'): boolean {
  if (outcome === 'kept') report.blobsKept++;
  else if (outcome === 'restored') report.blobsRestored++;
  else return false;
  return true;
}

async function waitingBlobs(table: string): Promise<string[]> {
  const { items } = await queryAll({
    TableName: table,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': indexKeys.waitingBlobs },
    ConsistentRead: true,
  });
  return items.map((i) => storedKey(i).sk);
}

async function wait(table: string, sha256: string, until: string, operationId: string): Promise<void> {
  await dynamodb().send(
    new PutCommand({
      TableName: table,
      Item: { pk: indexKeys.waitingBlobs, sk: sha256, lockedUntil: until, since: operationId },
    }),
  );
}

async function stopWaiting(table: string, sha256: string): Promise<void> {
  await dynamodb().send(
    new DeleteCommand({ TableName: table, Key: { pk: indexKeys.waitingBlobs, sk: sha256 } }),
  );
}

async function deleteBlob(
  target: PurgeTarget,
  sha256: string,
  isRemoved: (ref: string) => boolean,
): Promise<'deleted' | 'kept' | 'restored'> {
  await dynamodb().send(
    new PutCommand({
      TableName: target.indexTable,
      Item: { pk: indexKeys.blob(sha256), sk: indexKeys.purged, at: new Date().toISOString() },
    }),
  );
  const referred = async () =>
    liveReferences(await references(target.indexTable, sha256), isRemoved, false).length > 0;
  if (await referred()) return 'kept';
  const key = blobKey(sha256);
  await s3().send(new DeleteObjectCommand({ Bucket: target.backupBucket, Key: key }));
  if (!(await referred())) return 'deleted';
  await putBack(target.backupBucket, key);
  return 'restored';
}

/**
 * Drops a body's location unless it changed since it was read (an indexer wrote it again, or it holds a
 * reference the purge did not remove: kept), then looks at the references once more: one that appeared
 * meanwhile puts it back (unless a new one was written).
 */
async function dropLocation(
  table: string,
  location: BodyLocation,
  isRemoved: (ref: string) => boolean,
): Promise<'dropped' | 'kept' | 'restored'> {
  const key = { pk: indexKeys.blob(location.sha256), sk: indexKeys.location };
  const held = heldRefsValue(location.heldRefs ?? []);
  if (!(location.heldRefs ?? []).every(isRemoved)) return 'kept';
  try {
    await dynamodb().send(
      new DeleteCommand({
        TableName: table,
        Key: key,
        // Only the references read, all removed: one held since keeps it.
        ConditionExpression: `#pack = :pack AND #offset = :offset AND ${
          held !== undefined ? '#held = :held' : 'attribute_not_exists(#held)'
        }`,
        ExpressionAttributeNames: { '#pack': 'pack', '#offset': 'offset', '#held': HELD_REFS },
        ExpressionAttributeValues: {
          ':pack': location.pack,
          ':offset': location.offset,
          ...(held !== undefined ? { ':held': held } : {}),
        },
      }),
    );
  } catch (error) {
    if (isConditionFailed(error)) return 'kept';
    throw error;
  }
  if (liveReferences(await references(table, location.sha256), isRemoved, false).length === 0)
    return 'dropped';
  try {
    await dynamodb().send(
      new PutCommand({
        TableName: table,
        Item: locationItem(location, new Date().toISOString()),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
  }
  return 'restored';
}

/** The newest real version of the object becomes current again (a versioned bucket keeps it). */
async function putBack(bucket: string, key: string): Promise<void> {
  const out = await s3().send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
  const previous = (out.Versions ?? [])
    .filter((v) => v.Key === key && v.VersionId)
    .sort((a, b) => (b.LastModified?.getTime() ?? 0) - (a.LastModified?.getTime() ?? 0))[0];
  // Without versioning the indexer's second write (it saw the marker) is what brings the body back.
  if (!previous?.VersionId) return;
  await s3().send(
    new CopyObjectCommand({
      Bucket: bucket,
      Key: key,
      CopySource: `${bucket}/${key}?versionId=${encodeURIComponent(previous.VersionId)}`,
      MetadataDirective: 'COPY',
    }),
  );
}

/** A blob's references (items of their own, and those its location holds), and its location. */
interface References {
  readonly items: string[];
  readonly held: readonly string[];
  readonly location?: BodyLocation;
}

/**
 * Who refers to the blob: messages and contacts, and bodies stored as incoming less than a day ago. Its
 * location and its references share a partition: one query reads both, and the location it reads is the
 * one a drop is conditioned on.
 */
async function references(table: string, sha256: string): Promise<References> {
  const { items } = await queryAll({
    TableName: table,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': indexKeys.blob(sha256) },
    ConsistentRead: true,
  });
  const since = Date.now() - INCOMING_REF_HOURS * 3_600_000;
  const held = items.flatMap(heldRefsOf);
  const location = items.map(locationOf).find((l) => l !== undefined);
  return {
    items: items
      .filter((i) => storedKey(i).sk.startsWith(keyPrefixes.blobRef))
      // An incoming reference whose time does not read counts as recent: a doubt keeps the body.
      .filter((i) => typeof i.incomingAt !== 'string' || !(Date.parse(i.incomingAt) <= since))
      .map((i) => storedKey(i).sk),
    held,
    ...(location !== undefined ? { location } : {}),
  };
}

/**
 * The references that keep a blob: every item of its own (the mailboxes' shares deleted those they
 * removed; a dry run deleted none, so its removed ones do not count), and those its location holds unless
 * the purge removed them (no share deletes those).
 */
function liveReferences(refs: References, isRemoved: (ref: string) => boolean, dryRun: boolean): string[] {
  return [
    ...refs.items.filter((ref) => !(dryRun && isRemoved(ref))),
    ...refs.held.filter((ref) => !isRemoved(ref)),
  ];
}

/**
 * A kept blob's location lets go of the references the purge removed (unless what it holds changed since it
 * was read): they would keep the body for items that no longer need it.
 */
async function releaseHeld(
  table: string,
  sha256: string,
  held: readonly string[],
  isRemoved: (ref: string) => boolean,
): Promise<void> {
  const keep = heldRefsValue(held.filter((ref) => !isRemoved(ref)));
  try {
    await dynamodb().send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: indexKeys.blob(sha256), sk: indexKeys.location },
        UpdateExpression: keep === undefined ? 'REMOVE #held' : 'SET #held = :keep',
        ConditionExpression: '#held = :held',
        ExpressionAttributeNames: { '#held': HELD_REFS },
        ExpressionAttributeValues: {
          ':held': heldRefsValue(held),
          ...(keep !== undefined ? { ':keep': keep } : {}),
        },
      }),
    );
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
  }
}

async function headBlob(
  bucket: string,
  sha256: string,
): Promise<{ size: number; lockedUntil?: Date } | undefined> {
  try {
    const head = await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: blobKey(sha256) }));
    return {
      size: head.ContentLength ?? 0,
      ...(head.ObjectLockRetainUntilDate ? { lockedUntil: head.ObjectLockRetainUntilDate } : {}),
    };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
