import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { OffsiteError } from '#core/errors.ts';
import type { RestoreReport } from '#core/restore/restore-report.ts';
import { objectBody } from '#core/storage/object-body.ts';
import { operationObjectKeys } from '#core/storage/operation-keys.ts';

/** A finished restore's report, read from the bucket. */
export async function readRestoreReport(s3: S3Client, bucket: string, id: string): Promise<RestoreReport> {
  const key = operationObjectKeys.report(id);
  let body: Buffer;
  try {
    body = await objectBody(await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
  } catch (cause) {
    throw new OffsiteError(
      `no report at s3://${bucket}/${key} (${(cause as Error).name}): is the restore finished?`,
      {
        cause,
      },
    );
  }
  return JSON.parse(body.toString('utf8')) as RestoreReport;
}
