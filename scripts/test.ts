// `npm test`: static checks, the synthesized template through cfn-lint (cdk-nag runs inside synthesis),
// unit tests, the tests against real servers (slapd), then the integration suite twice: on fauxqs +
// DynamoDB Local, and on moto.
import { spawnSync } from 'node:child_process';
import { existsSync, globSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const only = process.argv[2];
type Step = { name: string; command: string; args: string[]; env?: Record<string, string>; minutes?: number };
const steps: Step[] = [];
const bin = (name: string) => `node_modules/.bin/${name}`;
const files = (pattern: string) => globSync(pattern).sort();
// Each test run's report is also kept in a file: the failures are printed again at the very end, where a
// log that keeps only its last lines still shows them.
const reports = mkdtempSync(join(tmpdir(), 'offsite-test-'));
const reporters = (name: string) => [
  '--test-reporter=spec',
  '--test-reporter-destination=stdout',
  '--test-reporter=spec',
  `--test-reporter-destination=${reportFile(name)}`,
];
const reportFile = (name: string) => join(reports, `${name.replace(/[^a-z0-9]+/gi, '-')}.log`);
// The stack is synthesized (every function bundled) once per context for all the local clouds of this run.
const assemblyCache = mkdtempSync(join(tmpdir(), 'offsite-assemblies-'));

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
    args: ['--test', ...reporters('unit tests'), ...files('test/unit/**/*.test.ts')],
    minutes: 15,
  });
}
if (!only || only === 'integration') {
  // Integration files run one at a time: each starts servers of its own.
  const integration = (name: string, testFiles: string[], minutes: number) => ({
    name,
    command: process.execPath,
    args: ['--test', '--test-concurrency=1', '--test-timeout=300000', ...reporters(name), ...testFiles],
    minutes,
  });
  steps.push(
    integration(
      'integration tests on real servers (slapd, Dovecot, Radicale)',
      files('test/integration/servers/**/*.test.ts'),
      10,
    ),
  );
  for (const [backend, minutes] of [
    ['fauxqs', 50],
    ['moto', 25],
  ] as const) {
    steps.push({
      ...integration(
        `integration tests on ${backend}`,
        [...files('test/integration/*.test.ts'), ...files(`test/integration/${backend}/**/*.test.ts`)],
        minutes,
      ),
      env: { OFFSITE_TEST_BACKEND: backend },
    });
  }
}

const failed: string[] = [];
for (const step of steps) {
  process.stdout.write(`\n=== ${step.name}\n`);
  const started = Date.now();
  // A bound per step: a hung test fails its step (and says so) instead of the whole run's time limit.
  const minutes = step.minutes ?? 10;
  const result = spawnSync(step.command, step.args, {
    stdio: 'inherit',
    env: { ...process.env, OFFSITE_TEST_ASSEMBLY_CACHE: assemblyCache, ...step.env },
    timeout: minutes * 60_000,
    killSignal: 'SIGTERM',
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    failed.push(step.name);
    process.stdout.write(
      `=== FAILED: ${step.name} (${seconds}s)${result.error ? `: ${result.error.message}` : ''}\n`,
    );
  } else process.stdout.write(`=== ok: ${step.name} (${seconds}s)\n`);
}
for (const name of failed) {
  const file = reportFile(name);
  if (!existsSync(file)) continue;
  const report = readFileSync(file, 'utf8');
  const from = report.lastIndexOf('failing tests:');
  if (from < 0) continue;
  const lines = report.slice(from).split('\n');
  process.stdout.write(`\n=== what failed in ${name}\n${lines.slice(0, 200).join('\n')}\n`);
  if (lines.length > 200) process.stdout.write(`… ${lines.length - 200} more lines in ${file}\n`);
}
rmSync(assemblyCache, { recursive: true, force: true });
process.stdout.write(`\n${steps.length - failed.length} passed, ${failed.length} failed\n`);
process.exit(failed.length === 0 ? 0 : 1);
