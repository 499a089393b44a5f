import { KMSClient } from '@aws-sdk/client-kms';
import { tracer } from '#functions/observability.ts';

let client: KMSClient | undefined;

export function kms(): KMSClient {
  client ??= tracer.captureAWSv3Client(new KMSClient({}));
  return client;
}

/** Tests replace the client. */
export function setKms(replacement: KMSClient | undefined): void {
  client = replacement;
}
