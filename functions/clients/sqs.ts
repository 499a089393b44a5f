import { SQSClient } from '@aws-sdk/client-sqs';
import { tracer } from '#functions/observability.ts';

let client: SQSClient | undefined;

export function sqs(): SQSClient {
  // Address requests to the configured endpoint, not the queue URL's host: identical on AWS, and emulators
  // may hand out queue URLs with hosts that do not resolve.
  client ??= tracer.captureAWSv3Client(new SQSClient({ useQueueUrlAsEndpoint: false }));
  return client;
}

/** Tests replace the client. */
export function setSqs(replacement: SQSClient | undefined): void {
  client = replacement;
}
