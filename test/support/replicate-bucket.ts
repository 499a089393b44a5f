import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/**
 * What S3 replication does for offsite's bucket, done here because no emulator replicates: every object's
 * current version copied to the other bucket with its key, bytes, content type and user metadata (the
 * digests and codecs readers check). Returns the number of objects copied.
 */
export async function replicateBucket(
  from: { client: S3Client; bucket: string },
  to: { client: S3Client; bucket: string },
): Promise<number> {
  let copied = 0;
  let token: string | undefined;
  do {
    const page = await from.client.send(
      new ListObjectsV2Command({ Bucket: from.bucket, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      if (!object.Key) continue;
      const got = await from.client.send(new GetObjectCommand({ Bucket: from.bucket, Key: object.Key }));
      const body = await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
      await to.client.send(
        new PutObjectCommand({
          Bucket: to.bucket,
          Key: object.Key,
          Body: body,
          ContentType: got.ContentType,
          Metadata: got.Metadata,
        }),
      );
      copied++;
    }
    token = page.NextContinuationToken;
  } while (token);
  return copied;
}
