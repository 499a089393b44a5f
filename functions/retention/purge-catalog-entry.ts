import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import { s3 } from '#functions/clients/s3.ts';
import type { PurgeTarget } from '#functions/retention/purge-mailbox.ts';

/**
 * Deletes a catalogued object (a delete marker where the bucket is versioned) and marks its catalog entry
 * purged, by which operation and when: the entry stays, so the stream shows no hole and the coherency check
 * knows the object is gone on purpose. A repeated finalization finds it purged already.
 */
export async function purgeCatalogEntry(
  target: PurgeTarget,
  operationId: string,
  entry: Record<string, unknown>,
): Promise<void> {
  await s3().send(new DeleteObjectCommand({ Bucket: target.backupBucket, Key: entry.s3Key as string }));
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
      if (error.name !== 'ConditionalCheckFailedException') throw error;
    });
}
