import { fileURLToPath } from 'node:url';
import { buildApp } from 'fauxqs';
import { type RunningEmulator, startChildEmulator } from '#local/emulators/child-emulator.ts';
import { assertPortFree, httpAnswers, LOOPBACK } from '#local/emulators/ports.ts';
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

/** fauxqs in a process of its own (see fauxqs-main.ts), listening on loopback `port`. */
export async function startFauxqsProcess(port: number): Promise<RunningEmulator> {
  await assertPortFree(port, 'fauxqs (SQS and S3)');
  return startChildEmulator({
    name: 'fauxqs',
    command: process.execPath,
    args: [fileURLToPath(new URL('./fauxqs-main.ts', import.meta.url)), String(port)],
    endpoint: `http://${LOOPBACK}:${port}`,
    ready: () => httpAnswers(`http://${LOOPBACK}:${port}/`),
    startTimeoutMs: 30_000,
    missingHint: 'the Node.js running this process could not be started again',
  });
}
