// `npm test`: static checks, the synthesized template through cfn-lint (cdk-nag runs inside synthesis),
// unit tests, the tests against real servers (slapd), then the integration suite twice: on fauxqs +
// DynamoDB Local, and on moto.
import { spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';

const only = process.argv[2];
const steps: { name: string; command: string; args: string[]; env?: Record<string, string> }[] = [];
const bin = (name: string) => `node_modules/.bin/${name}`;
const files = (pattern: string) => globSync(pattern).sort();

if (!only) {
  steps.push({ name: 'lint and format (biome)', command: bin('biome'), args: ['check', '.'] });
  steps.push({ name: 'types (tsc, strict)', command: bin('tsc'), args: ['-p', 'tsconfig.json'] });
  steps.push({
    name: 'cdk synth (with cdk-nag AwsSolutions)',
    command: bin('cdk'),
    args: ['synth', '--quiet'],
  });
  steps.push({ name: 'cfn-lint', command: 'cfn-lint', args: ['cdk.out/Offsite.template.json'] });
}
if (!only || only === 'unit') {
  steps.push({
    name: 'unit tests',
    command: process.execPath,
    args: ['--test', '--test-reporter=spec', ...files('test/unit/**/*.test.ts')],
  });
}
if (!only || only === 'integration') {
  // Integration files run one at a time: each starts servers of its own.
  const integration = (testFiles: string[]) => [
    '--test',
    '--test-concurrency=1',
    '--test-timeout=300000',
    '--test-reporter=spec',
    ...testFiles,
  ];
  steps.push({
    name: 'integration tests on real servers (slapd)',
    command: process.execPath,
    args: integration(files('test/integration/servers/**/*.test.ts')),
  });
  for (const backend of ['fauxqs', 'moto']) {
    steps.push({
      name: `integration tests on ${backend}`,
      command: process.execPath,
      args: integration([
        ...files('test/integration/*.test.ts'),
        ...files(`test/integration/${backend}/**/*.test.ts`),
      ]),
      env: { OFFSITE_TEST_BACKEND: backend },
    });
  }
}

const failed: string[] = [];
for (const step of steps) {
  process.stdout.write(`\n=== ${step.name}\n`);
  const started = Date.now();
  const result = spawnSync(step.command, step.args, {
    stdio: 'inherit',
    env: { ...process.env, ...step.env },
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    failed.push(step.name);
    process.stdout.write(
      `=== FAILED: ${step.name} (${seconds}s)${result.error ? `: ${result.error.message}` : ''}\n`,
    );
  } else process.stdout.write(`=== ok: ${step.name} (${seconds}s)\n`);
}
process.stdout.write(`\n${steps.length - failed.length} passed, ${failed.length} failed\n`);
process.exit(failed.length === 0 ? 0 : 1);
