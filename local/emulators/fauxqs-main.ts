// fauxqs on its own: `node local/emulators/fauxqs-main.ts <port>` serves until it is stopped. For measurements
// where offsite's code runs in this process and must not share its thread with the S3 it talks to.
import { startFauxqs } from '#local/emulators/fauxqs.ts';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write('usage: fauxqs-main.ts <port>\n');
  process.exit(2);
}
const emulator = await startFauxqs(port);
process.stdout.write(`fauxqs listening at ${emulator.endpoint}\n`);
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => void emulator.stop().then(() => process.exit(0)));
