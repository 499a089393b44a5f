import { defaultProvider } from '@aws-sdk/credential-provider-node';
import type { AgentConfig } from '#agent/config/agent-config.ts';
import { ControlClient } from '#agent/control-client.ts';

let client: ControlClient | undefined;

/** The agent's control API client, created once (credentials: the SDK's default chain, refreshed). */
export function control(config: AgentConfig): ControlClient | undefined {
  if (!config.control) return undefined;
  client ??= new ControlClient({
    url: config.control.url,
    region: config.aws.region,
    credentials: defaultProvider(),
  });
  return client;
}

/** Tests replace the client. */
export function setControl(replacement: ControlClient | undefined): void {
  client = replacement;
}
