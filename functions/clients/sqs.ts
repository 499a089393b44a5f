import { SQSClient } from '@aws-sdk/client-sqs';
import { tracer } from '#functions/observability.ts';

let client: SQSClient | undefined;

export function sqs(): SQSClient {
  client ??= tracer.captureAWSv3Client(new SQSClient({}));
  return client;
}

/** Tests replace the client. */
export function setSqs(replacement: SQSClient | undefined): void {
  client = replacement;
}
