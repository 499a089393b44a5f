import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand, NotFound } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SegmentAnnouncement } from '#core/announcement.ts';
import { indexKeys } from '#core/index-keys.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import { s3 } from '#functions/clients/s3.ts';
import { SegmentConflictError, SegmentMismatchError } from '#functions/errors.ts';

export interface RecordSegmentTarget {
  readonly indexTable: string;
  readonly backupBucket: string;
}

export type RecordSegmentResult = 'recorded' | 'duplicate';

/**
 * Records an announced segment in the catalog once it is confirmed in S3 as announced (size and the plaintext
 * digest in its metadata). Idempotent: a redelivered announcement of the same segment is a no-op.
 */
export async function recordSegment(
  a: SegmentAnnouncement,
  target: RecordSegmentTarget,
): Promise<RecordSegmentResult> {
  await confirmObject(a, target.backupBucket);
  const key = { pk: indexKeys.server(a.serverId), sk: indexKeys.segment(a.seq, a.firstOffset) };
  try {
    await dynamodb().send(
      new PutCommand({
        TableName: target.indexTable,
        Item: {
          ...key,
          type: 'segment',
          gsi1pk: `SEGTIME#${a.serverId}`,
          gsi1sk: a.firstOpTime ?? a.shippedAt,
          serverId: a.serverId,
          seq: a.seq,
          firstOffset: a.firstOffset,
          lastOffset: a.lastOffset,
          s3Key: a.key,
          sha256: a.sha256,
          size: a.size,
          storedSize: a.storedSize,
          codec: a.codec,
          firstOpTime: a.firstOpTime,
          lastOpTime: a.lastOpTime,
          shippedAt: a.shippedAt,
          state: 'announced',
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return 'recorded';
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
  const existing = await dynamodb().send(
    new GetCommand({ TableName: target.indexTable, Key: key, ConsistentRead: true }),
  );
  if (existing.Item?.sha256 === a.sha256 && existing.Item?.lastOffset === a.lastOffset) return 'duplicate';
  throw new SegmentConflictError(
    `segment ${a.serverId} seq ${a.seq} at ${a.firstOffset} is already recorded with digest ${String(existing.Item?.sha256)}, announced again with ${a.sha256}`,
  );
}

async function confirmObject(a: SegmentAnnouncement, bucket: string): Promise<void> {
  const head = await s3()
    .send(new HeadObjectCommand({ Bucket: bucket, Key: a.key }))
    .catch((error: unknown) => {
      if (error instanceof NotFound || (error as { name?: string }).name === 'NotFound') {
        throw new SegmentMismatchError(`announced segment s3://${bucket}/${a.key} does not exist`, {
          cause: error,
        });
      }
      throw error;
    });
  const digest = head.Metadata?.sha256;
  if (digest !== a.sha256) {
    throw new SegmentMismatchError(
      `s3://${bucket}/${a.key} carries digest ${digest ?? '(none)'} but was announced with ${a.sha256}`,
    );
  }
  if (head.ContentLength !== a.storedSize) {
    throw new SegmentMismatchError(
      `s3://${bucket}/${a.key} is ${head.ContentLength ?? '?'} bytes but was announced as ${a.storedSize}`,
    );
  }
}
