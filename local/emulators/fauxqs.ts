import { buildApp } from 'fauxqs';
import type { RunningEmulator } from '#local/emulators/child-emulator.ts';
import { LOOPBACK } from '#local/emulators/ports.ts';
import { LocalCloudError } from '#local/errors.ts';

/** fauxqs (SQS and S3) in this process, listening on loopback only. Port 0 picks a free port. */
export async function startFauxqs(port: number): Promise<RunningEmulator> {
  const app = buildApp({ logger: false });
  try {
    await app.listen({ port, host: LOOPBACK });
  } catch (error) {
    await app.close();
    const code = (error as NodeJS.ErrnoException).code;
    throw new LocalCloudError(
      code === 'EADDRINUSE'
        ? `port ${port} on ${LOOPBACK}, wanted for fauxqs (SQS and S3), is already in use: stop what listens there or choose another port (see --help)`
        : `fauxqs could not start: ${String(error)}`,
      { cause: error },
    );
  }
  const address = app.server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return { name: 'fauxqs', endpoint: `http://${LOOPBACK}:${actual}`, stop: () => app.close() };
}
