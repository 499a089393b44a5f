import net from 'node:net';
import { LocalCloudError } from '#local/errors.ts';

export const LOOPBACK = '127.0.0.1';

/** A port the OS considers free on loopback right now (for emulators that cannot listen on port 0). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Fails with a clear message when something already listens on `port` (any address). */
export async function assertPortFree(port: number, what: string): Promise<void> {
  const inUse = await new Promise<boolean>((resolve) => {
    const socket = net.connect({ port, host: LOOPBACK });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
  if (inUse) {
    throw new LocalCloudError(
      `port ${port} on ${LOOPBACK}, wanted for ${what}, is already in use: stop what listens there or choose another port (see --help)`,
    );
  }
}

/** Polls `probe` until it resolves true, or fails after `timeoutMs` with the given explanation. */
export async function waitUntil(
  probe: () => Promise<boolean>,
  timeoutMs: number,
  failure: () => string,
  signal?: { aborted: boolean; reason?: string },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (signal?.aborted) throw new LocalCloudError(signal.reason ?? failure());
    if (await probe().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new LocalCloudError(failure());
}

export async function httpAnswers(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
  await response.body?.cancel();
  return true;
}
