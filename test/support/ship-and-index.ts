import { loadAgentConfig } from '#agent/config/agent-config.ts';
import { memoryLog } from '#agent/observability.ts';
import { Shipper } from '#agent/ship/shipper.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { waitForIndexed } from '#test/support/index-checks.ts';

/** Ships what the simulated host's redo log holds, once, with the agent of `configFile`, and waits for the index. */
export async function shipAndIndex(
  cloud: LocalCloud,
  configFile: string,
  serverId: string,
  timeoutMs = 240_000,
): Promise<void> {
  const shipper = await Shipper.open({
    config: loadAgentConfig(configFile),
    s3: cloud.clients.s3,
    sqs: cloud.clients.sqs,
    log: memoryLog(),
  });
  await shipper.shipOnce();
  await waitForIndexed(cloud, serverId, timeoutMs);
}
