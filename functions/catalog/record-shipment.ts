import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { IndexBridge, IndexContinue, IndexReset, IngestMessage } from '#core/announcement.ts';
import { catalogItem } from '#core/index/catalog-entries.ts';
import { isNotFound } from '#functions/clients/bucket-objects.ts';
import { dynamodb, isConditionFailed } from '#functions/clients/dynamodb.ts';
import { s3 } from '#functions/clients/s3.ts';
import { SegmentConflictError, SegmentMismatchError } from '#functions/errors.ts';

export interface RecordShipmentTarget {
  readonly indexTable: string;
  readonly backupBucket: string;
}

export type RecordShipmentResult = 'recorded' | 'duplicate';

/** What the agent ships and announces (the rest of the ingest queue is the indexer's own). */
export type ShipmentMessage = Exclude<IngestMessage, IndexContinue | IndexBridge | IndexReset>;

/**
 * Records an announced object (redo segment, file seal, LDAP dump, scan snapshot, body pack) in the catalog once it is confirmed in
 * S3 as announced (stored size and the plaintext digest in its metadata). Idempotent: a redelivered
 * announcement of the same object is a no-op; another object claiming the same identity is a conflict.
 */
export async function recordShipment(
  message: ShipmentMessage,
  target: RecordShipmentTarget,
): Promise<RecordShipmentResult> {
  await confirmObject(message, target.backupBucket);
  const item = catalogItem(message);
  try {
    await dynamodb().send(
      new PutCommand({
        TableName: target.indexTable,
        Item: item,
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return 'recorded';
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
  }
  const key = { pk: item.pk, sk: item.sk };
  const existing = await dynamodb().send(
    new GetCommand({ TableName: target.indexTable, Key: key, ConsistentRead: true }),
  );
  if (existing.Item?.sha256 === message.sha256 && existing.Item?.s3Key === message.key) return 'duplicate';
  throw new SegmentConflictError(
    `${item.sk} of server ${message.serverId} is already recorded as ${String(existing.Item?.s3Key)}, announced again as ${message.key}`,
  );
}

async function confirmObject(m: ShipmentMessage, bucket: string): Promise<void> {
  const head = await s3()
    .send(new HeadObjectCommand({ Bucket: bucket, Key: m.key }))
    .catch((error: unknown) => {
      if (isNotFound(error)) {
        throw new SegmentMismatchError(`announced object s3://${bucket}/${m.key} does not exist`, {
          cause: error,
        });
      }
      throw error;
    });
  const digest = head.Metadata?.sha256;
  if (digest !== m.sha256) {
    throw new SegmentMismatchError(
      `s3://${bucket}/${m.key} carries digest ${digest ?? '(none)'} but was announced with ${m.sha256}`,
    );
  }
  if (head.ContentLength !== m.storedSize) {
    throw new SegmentMismatchError(
      `s3://${bucket}/${m.key} is ${head.ContentLength ?? '?'} bytes but was announced as ${m.storedSize}`,
    );
  }
}
