// `npm run soak`: the long runs `npm test` cannot afford, each bounded in count and time, on loopback, then
// one table of their figures. `--quick` runs each with small counts (to check the suite itself).
//   npm run soak [-- --quick] [-- --only fuzz,crash,outage,restore,drill]
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } },
});
const quick = values.quick ?? false;

interface Step {
  key: string;
  files: string[];
  env: Record<string, string>;
  minutes: number;
}

const outageMs = quick ? 8_000 : 300_000;
const steps: Step[] = [
  {
    key: 'fuzz',
    files: ['test/unit/core/redo/redo-reader.fuzz.test.ts'],
    env: { OFFSITE_FUZZ_INPUTS: String(quick ? 2_000 : 1_000_000) },
    minutes: quick ? 10 : 240,
  },
  {
    key: 'crash',
    files: ['test/integration/fauxqs/agent-crash.test.ts'],
    env: { OFFSITE_TEST_BACKEND: 'fauxqs', OFFSITE_CRASH_TRIALS: String(quick ? 10 : 200) },
    minutes: quick ? 15 : 90,
  },
  {
    key: 'outage',
    files: ['test/integration/fauxqs/agent-outage.test.ts'],
    env: { OFFSITE_TEST_BACKEND: 'fauxqs', OFFSITE_OUTAGE_MS: String(outageMs) },
    minutes: Math.ceil((2 * outageMs) / 60_000) + 15,
  },
  {
    key: 'restore',
    files: ['test/integration/fauxqs/index-point-in-time.test.ts'],
    env: { OFFSITE_TEST_BACKEND: 'fauxqs', OFFSITE_INSTANTS: String(quick ? 20 : 500) },
    minutes: quick ? 15 : 90,
  },
  {
    key: 'drill',
    files: ['test/integration/fauxqs/drill.test.ts'],
    env: { OFFSITE_TEST_BACKEND: 'fauxqs', OFFSITE_DRILLS: String(quick ? 3 : 100) },
    minutes: quick ? 15 : 60,
  },
];
const only = values.only?.split(',');

const rows: { step: string; figures: string; result: string; seconds: number }[] = [];
for (const step of steps.filter((s) => !only || only.includes(s.key))) {
  process.stdout.write(`\n=== soak: ${step.key}\n`);
  const started = Date.now();
  const run = spawnSync(
    process.execPath,
    ['--test', '--test-concurrency=1', `--test-timeout=${step.minutes * 60_000}`, ...step.files],
    {
      env: { ...process.env, ...step.env },
      encoding: 'utf8',
      timeout: step.minutes * 60_000,
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  const seconds = Math.round((Date.now() - started) / 1000);
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}`;
  process.stdout.write(output.split('\n').slice(-40).join('\n'));
  const figures = [...output.matchAll(/^# soak (\{.*\})$/gm)].map(
    (m) => JSON.parse(m[1] as string) as Record<string, unknown> & { step: string },
  );
  const result = run.status === 0 ? 'ok' : run.error ? `FAILED (${run.error.message})` : 'FAILED';
  if (figures.length === 0) rows.push({ step: step.key, figures: '(no figures)', result, seconds });
  for (const { step: name, ...rest } of figures)
    rows.push({
      step: name,
      figures: Object.entries(rest)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
      result,
      seconds,
    });
}

const width = (key: 'step' | 'figures' | 'result') => Math.max(key.length, ...rows.map((r) => r[key].length));
const line = (step: string, figures: string, result: string, seconds: string) =>
  `| ${step.padEnd(width('step'))} | ${figures.padEnd(width('figures'))} | ${result.padEnd(width('result'))} | ${seconds.padStart(7)} |`;
process.stdout.write(`\n${line('step', 'figures', 'result', 'seconds')}\n`);
process.stdout.write(
  `|${'-'.repeat(width('step') + 2)}|${'-'.repeat(width('figures') + 2)}|${'-'.repeat(width('result') + 2)}|--------:|\n`,
);
for (const r of rows) process.stdout.write(`${line(r.step, r.figures, r.result, String(r.seconds))}\n`);
process.exit(rows.every((r) => r.result === 'ok') ? 0 : 1);
