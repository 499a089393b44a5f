import { S3Client } from '@aws-sdk/client-s3';
import { tracer } from '#functions/observability.ts';

let client: S3Client | undefined;

export function s3(): S3Client {
  client ??= tracer.captureAWSv3Client(new S3Client({}));
  return client;
}

/** Tests replace the client. */
export function setS3(replacement: S3Client | undefined): void {
  client = replacement;
}
