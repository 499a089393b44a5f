import { SNSClient } from '@aws-sdk/client-sns';
import { tracer } from '#functions/observability.ts';

let client: SNSClient | undefined;

export function sns(): SNSClient {
  client ??= tracer.captureAWSv3Client(new SNSClient({}));
  return client;
}

/** Tests replace the client. */
export function setSns(replacement: SNSClient | undefined): void {
  client = replacement;
}
