import { join } from 'node:path';
import { loadAgentConfig } from '#agent/config/agent-config.ts';
import { memoryLog } from '#agent/observability.ts';
import { Shipper } from '#agent/ship/shipper.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { writeAgentConfig } from '#test/support/agent-cli.ts';
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

/**
 * Ships a simulated host with an agent configured in `workDir` (state there, segments of `segmentKiB`,
 * cut after a second) and waits for the index.
 */
export async function shipSimulatedHost(
  cloud: LocalCloud,
  host: { serverId: string; hostDir: string; workDir: string; segmentKiB: number },
  timeoutMs = 240_000,
): Promise<void> {
  const configFile = writeAgentConfig(join(host.workDir, 'agent.json'), cloud, {
    serverId: host.serverId,
    zimbraHome: host.hostDir,
    stateDir: join(host.workDir, 'state'),
    segment: { maxMiB: host.segmentKiB / 1024, maxAgeSeconds: 1 },
    pollMs: 50,
    metrics: { enabled: false },
  });
  await shipAndIndex(cloud, configFile, host.serverId, timeoutMs);
}
