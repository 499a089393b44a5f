import { fileURLToPath } from 'node:url';
import { type RunningEmulator, startChildEmulator } from '#local/emulators/child-emulator.ts';
import { assertPortFree, httpAnswers, LOOPBACK } from '#local/emulators/ports.ts';

/** moto's server, started so that each DynamoDB request is applied atomically (see the script). */
const MOTO_SERVER = fileURLToPath(new URL('moto-server.py', import.meta.url));

/** The moto server (Python): S3 with versioning and Object Lock, SQS, DynamoDB, EventBridge in one endpoint. */
export async function startMoto(
  port: number,
  python = process.env.OFFSITE_PYTHON ?? 'python3',
): Promise<RunningEmulator> {
  await assertPortFree(port, 'moto server');
  return startChildEmulator({
    name: 'moto server',
    command: python,
    args: [MOTO_SERVER, '-H', LOOPBACK, '-p', String(port)],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
    endpoint: `http://${LOOPBACK}:${port}`,
    ready: () => httpAnswers(`http://${LOOPBACK}:${port}/moto-api/`),
    startTimeoutMs: 30_000,
    missingHint:
      'Python 3 with moto[server] is needed for the moto backend (Debian: apt-get install python3-moto)',
  });
}
