import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { AgentConfig } from '#agent/config/agent-config.ts';

let client: CloudWatchClient | undefined;

/** The agent's CloudWatch client (lag metrics), created once from the configuration. */
export function cloudwatch(aws: AgentConfig['aws']): CloudWatchClient {
  client ??= new CloudWatchClient({
    region: aws.region,
    ...(aws.endpoint ? { endpoint: aws.endpoint } : {}),
    maxAttempts: 2,
  });
  return client;
}

/** Tests replace the client. */
export function setCloudwatch(replacement: CloudWatchClient | undefined): void {
  client = replacement;
}
