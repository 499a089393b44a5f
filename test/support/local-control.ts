import { ControlClient } from '#agent/control-client.ts';
import type { LocalCloud } from '#local/local-cloud.ts';

/** A client of the local cloud's control API (or the agents' API), signed with the local credentials. */
export function localControl(
  cloud: LocalCloud,
  api: 'ControlUrl' | 'AgentControlUrl' = 'ControlUrl',
): ControlClient {
  return new ControlClient({
    url: cloud.outputs[api] as string,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}
