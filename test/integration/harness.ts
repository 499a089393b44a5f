import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ControlClient } from '#agent/control-client.ts';
import { isFinished, type Operation } from '#core/operation.ts';
import { type Backend, type LocalCloud, startLocalCloud } from '#local/local-cloud.ts';
import type { Clock } from '#local/runtime/clock.ts';

/** The backend this run of the integration suite targets (npm test runs the suite once per backend). */
export function testBackend(): Backend {
  const value = process.env.OFFSITE_TEST_BACKEND ?? 'fauxqs';
  if (value !== 'fauxqs' && value !== 'moto')
    throw new Error(`OFFSITE_TEST_BACKEND must be fauxqs or moto, not ${value}`);
  return value;
}

export function startTestCloud(
  options: { clock?: Clock; schedules?: boolean; context?: Record<string, unknown> } = {},
): Promise<LocalCloud> {
  return startLocalCloud({
    backend: testBackend(),
    workDir: mkdtempSync(path.join(tmpdir(), 'offsite-it-')),
    ports: { sqsS3: 0, dynamodb: 0, moto: 0, functionUrl: 0 },
    retryVisibilitySeconds: 1,
    logToConsole: process.env.DEBUG_LOGS === '1',
    schedules: options.schedules ?? false,
    clock: options.clock,
    context: options.context,
    // `npm test` shares one directory across its integration steps: each context is bundled once.
    ...(process.env.OFFSITE_TEST_ASSEMBLY_CACHE
      ? { assemblyCache: process.env.OFFSITE_TEST_ASSEMBLY_CACHE }
      : {}),
  });
}

export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The operation once it ended (succeeded, failed or stopped), read through the control API. */
export function operationEnded(
  client: ControlClient,
  id: string,
  timeoutMs: number,
  what = `operation ${id} to finish`,
): Promise<Operation> {
  return eventually(
    async () => {
      const op = await client.request<Operation>('GET', `/operations/${id}`);
      return isFinished(op.state) ? op : undefined;
    },
    timeoutMs,
    what,
  );
}
