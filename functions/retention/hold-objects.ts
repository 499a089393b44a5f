import { PutObjectLegalHoldCommand } from '@aws-sdk/client-s3';
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { inParallel } from '#core/in-parallel.ts';
import { indexKeys } from '#core/index-keys.ts';
import type { LegalHoldChunk } from '#core/retention/legal-hold-plan.ts';
import { isNotFound } from '#functions/clients/bucket-objects.ts';
import { dynamodb, isConditionFailed } from '#functions/clients/dynamodb.ts';
import { s3 } from '#functions/clients/s3.ts';

export interface HoldTarget {
  readonly indexTable: string;
  readonly backupBucket: string;
}

export interface HoldCounts {
  /** Flags set (or found set) for the account. */
  objectsHeld: number;
  /** Flags cleared: no hold needs the object any more. */
  objectsReleased: number;
  /** Released by this account, still flagged for another hold. */
  objectsStillHeld: number;
  /** Not in the bucket (purged, or never stored): nothing to flag. */
  objectsMissing: number;
}

const HOLD = 'HOLD';

/**
 * One work item: flags (apply) or clears (release) the account's share of S3 legal holds. Each object's
 * holders are counted in the index (`HELDOBJ#<key>`), so an object two held accounts need stays flagged until
 * both holds are released. Safe to repeat, and safe against another work item holding or releasing the same
 * object at once: a hold records its holder before it flags; a release clears the flag only while nobody
 * holds it, and flags it again if a holder came while it cleared.
 */
export async function holdObjects(target: HoldTarget, chunk: LegalHoldChunk): Promise<HoldCounts> {
  const counts: HoldCounts = { objectsHeld: 0, objectsReleased: 0, objectsStillHeld: 0, objectsMissing: 0 };
  await inParallel(chunk.keys, 8, async (key) => {
    if (chunk.action === 'apply') {
      if (await holdObject(target, chunk.accountId, key)) counts.objectsHeld++;
      else counts.objectsMissing++;
    } else if (await releaseObject(target, chunk.accountId, key)) counts.objectsReleased++;
    else counts.objectsStillHeld++;
  });
  return counts;
}

/** False when the object is not in the bucket (its holder is taken back: nothing was flagged). */
async function holdObject(target: HoldTarget, accountId: string, key: string): Promise<boolean> {
  const object = { pk: indexKeys.heldObject(key), sk: HOLD };
  const added = await dynamodb().send(
    new UpdateCommand({
      TableName: target.indexTable,
      Key: object,
      UpdateExpression: 'ADD holders :a',
      ExpressionAttributeValues: { ':a': new Set([accountId]) },
      ReturnValues: 'ALL_NEW',
    }),
  );
  if (added.Attributes?.flaggedAt === undefined) {
    if (!(await setLegalHold(target.backupBucket, key, 'ON'))) {
      await dynamodb().send(
        new UpdateCommand({
          TableName: target.indexTable,
          Key: object,
          UpdateExpression: 'DELETE holders :a',
          ExpressionAttributeValues: { ':a': new Set([accountId]) },
        }),
      );
      return false;
    }
    await markFlagged(target.indexTable, key);
  }
  await dynamodb().send(
    new PutCommand({
      TableName: target.indexTable,
      Item: { pk: indexKeys.heldBy(accountId), sk: key, heldAt: new Date().toISOString() },
    }),
  );
  return true;
}

/** True when the flag was cleared; false when another hold still needs the object. */
async function releaseObject(target: HoldTarget, accountId: string, key: string): Promise<boolean> {
  const object = { pk: indexKeys.heldObject(key), sk: HOLD };
  const left = await dynamodb().send(
    new UpdateCommand({
      TableName: target.indexTable,
      Key: object,
      UpdateExpression: 'DELETE holders :a',
      ExpressionAttributeValues: { ':a': new Set([accountId]) },
      ReturnValues: 'ALL_NEW',
    }),
  );
  const holders = left.Attributes?.holders as Set<string> | undefined;
  let cleared = false;
  if (!holders || holders.size === 0) {
    // Unmarked first: a hold that comes now finds no flag recorded and sets it itself.
    const unmarked = await conditional(
      new UpdateCommand({
        TableName: target.indexTable,
        Key: object,
        UpdateExpression: 'REMOVE flaggedAt',
        ConditionExpression: 'attribute_not_exists(holders)',
      }),
    );
    if (unmarked) {
      await setLegalHold(target.backupBucket, key, 'OFF');
      cleared = await conditional(
        new DeleteCommand({
          TableName: target.indexTable,
          Key: object,
          ConditionExpression: 'attribute_not_exists(holders)',
        }),
      );
      // A hold came while the flag was cleared: set it again.
      if (!cleared) {
        await setLegalHold(target.backupBucket, key, 'ON');
        await markFlagged(target.indexTable, key);
      }
    }
  }
  await dynamodb().send(
    new DeleteCommand({ TableName: target.indexTable, Key: { pk: indexKeys.heldBy(accountId), sk: key } }),
  );
  return cleared;
}

async function markFlagged(table: string, key: string): Promise<void> {
  await dynamodb().send(
    new UpdateCommand({
      TableName: table,
      Key: { pk: indexKeys.heldObject(key), sk: HOLD },
      UpdateExpression: 'SET flaggedAt = :now',
      ExpressionAttributeValues: { ':now': new Date().toISOString() },
    }),
  );
}

/** Sets or clears the legal hold of the object's current version; false when there is none. */
async function setLegalHold(bucket: string, key: string, status: 'ON' | 'OFF'): Promise<boolean> {
  try {
    await s3().send(
      new PutObjectLegalHoldCommand({ Bucket: bucket, Key: key, LegalHold: { Status: status } }),
    );
    return true;
  } catch (error) {
    // A key whose current version is a delete marker answers 405 MethodNotAllowed.
    if (isNotFound(error) || (error as { name?: string }).name === 'MethodNotAllowed') return false;
    throw error;
  }
}

async function conditional(command: UpdateCommand | DeleteCommand): Promise<boolean> {
  try {
    await dynamodb().send(command as never);
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}
