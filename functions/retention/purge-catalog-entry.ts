import { DeleteObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CatalogEntry } from '#core/index/catalog-entries.ts';
import { isNotFound } from '#functions/clients/bucket-objects.ts';
import { dynamodb, isConditionFailed } from '#functions/clients/dynamodb.ts';
import { s3 } from '#functions/clients/s3.ts';
import type { PurgeTarget } from '#functions/retention/purge-mailbox.ts';

/**
 * Deletes a catalogued object (a delete marker where the bucket is versioned) and marks its catalog entry
 * purged, by which operation and when: the entry stays, so the stream shows no hole and the coherency check
 * knows the object is gone on purpose. An object Object Lock still holds is not touched: it is `locked`
 * until that date, its entry unchanged, so the first purge after it takes it. A repeated finalization finds
 * it purged already. A dry run only looks.
 */
export async function purgeCatalogEntry(
  target: PurgeTarget,
  operationId: string,
  entry: Pick<CatalogEntry, 'pk' | 'sk' | 's3Key'>,
  dryRun: boolean,
): Promise<{ outcome: 'purged' } | { outcome: 'locked'; until: string }> {
  const key = entry.s3Key;
  const until = await lockedUntil(target.backupBucket, key);
  if (until) return { outcome: 'locked', until };
  if (dryRun) return { outcome: 'purged' };
  await s3().send(new DeleteObjectCommand({ Bucket: target.backupBucket, Key: key }));
  await dynamodb()
    .send(
      new UpdateCommand({
        TableName: target.indexTable,
        Key: { pk: entry.pk, sk: entry.sk },
        UpdateExpression: 'SET #state = :purged, purgedAt = :now, purgedBy = :op',
        ConditionExpression: 'attribute_not_exists(#state) OR #state <> :purged',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':purged': 'purged',
          ':now': new Date().toISOString(),
          ':op': operationId,
        },
      }),
    )
    .catch((error: Error) => {
      if (!isConditionFailed(error)) throw error;
    });
  return { outcome: 'purged' };
}

/** The date Object Lock holds the object's current version until, if that is still ahead. */
export async function lockedUntil(bucket: string, key: string): Promise<string | undefined> {
  try {
    const head = await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const until = head.ObjectLockRetainUntilDate;
    return until && until.getTime() > Date.now() ? until.toISOString() : undefined;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Server objects (segments, LDAP dumps, scan snapshots) a purge left to Object Lock, and until when. */
export interface LockedReport {
  serverObjectsLocked: number;
  serverObjectsLockedUntil?: string;
}

export function noteLocked(report: LockedReport, until: string): void {
  report.serverObjectsLocked++;
  noteLockedUntil(report, until);
}

export function noteLockedUntil(report: LockedReport, until: string): void {
  if (!report.serverObjectsLockedUntil || until > report.serverObjectsLockedUntil)
    report.serverObjectsLockedUntil = until;
}
