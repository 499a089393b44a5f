import { SQSClient } from '@aws-sdk/client-sqs';
import type { AgentConfig } from '#agent/config/agent-config.ts';

let client: SQSClient | undefined;

/** The agent's SQS client, created once from the configuration (credentials: the SDK's default chain). */
export function sqs(aws: AgentConfig['aws']): SQSClient {
  client ??= new SQSClient({
    region: aws.region,
    requestHandler: {
      connectionTimeout: aws.connectTimeoutSeconds * 1000,
      socketTimeout: aws.idleTimeoutSeconds * 1000,
    },
    ...(aws.endpoint ? { endpoint: aws.endpoint } : {}),
    maxAttempts: 2,
  });
  return client;
}

/** Tests replace the client. */
export function setSqs(replacement: SQSClient | undefined): void {
  client = replacement;
}
