import { S3Client } from '@aws-sdk/client-s3';
import type { AgentConfig } from '#agent/config/agent-config.ts';

let client: S3Client | undefined;

/** The agent's S3 client, created once from the configuration (credentials: the SDK's default chain). */
export function s3(aws: AgentConfig['aws']): S3Client {
  client ??= new S3Client({
    region: aws.region,
    requestHandler: {
      connectionTimeout: aws.connectTimeoutSeconds * 1000,
      socketTimeout: aws.idleTimeoutSeconds * 1000,
    },
    ...(aws.endpoint ? { endpoint: aws.endpoint, forcePathStyle: true } : {}),
    // The agent retries whole objects itself, with backoff, while it keeps following the log (a paced
    // body is a stream the SDK could not replay anyway).
    maxAttempts: 1,
  });
  return client;
}

/** Tests replace the client. */
export function setS3(replacement: S3Client | undefined): void {
  client = replacement;
}
