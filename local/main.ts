import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { OffsiteError } from '#core/errors.ts';
import { parseOrThrow } from '#core/validation.ts';
import { runDemo } from '#local/demo.ts';
import { type LocalCloud, startLocalCloud } from '#local/local-cloud.ts';

const USAGE = `usage: node local/main.ts up [options]     (npm start = up --demo)

Brings up the offsite local cloud on 127.0.0.1: emulators, the synthesized stack's buckets, tables and
queues, and the bundled functions behind their real triggers. Ctrl-C stops everything.

options:
  --backend fauxqs|moto   fauxqs + DynamoDB Local (default), or moto for S3, SQS, DynamoDB and EventBridge
  --demo                  run the demo path once the cloud is up
  --once                  stop after the demo (or right after start) instead of waiting for Ctrl-C
  --json                  print the endpoints (and the demo result) as JSON
  --verbose               copy function logs to the terminal (they always go to .local/logs)
  --sqs-port N            fauxqs port (SQS and S3), default 4566; 0 = any free port
  --dynamodb-port N       DynamoDB Local port, default 8000; 0 = any free port
  --moto-port N           moto port, default 5000; 0 = any free port
  --control-port N        control API (function URL) port, default 4580; 0 = any free port
  --work-dir DIR          where the cloud assembly and logs go, default .local
`;

const port = z.coerce.number().int().min(0).max(65535);
const optionsSchema = z.strictObject({
  backend: z.enum(['fauxqs', 'moto']).default('fauxqs'),
  demo: z.boolean().default(false),
  once: z.boolean().default(false),
  json: z.boolean().default(false),
  verbose: z.boolean().default(false),
  'sqs-port': port.default(4566),
  'dynamodb-port': port.default(8000),
  'moto-port': port.default(5000),
  'control-port': port.default(4580),
  'work-dir': z.string().default('.local'),
});

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        backend: { type: 'string' },
        demo: { type: 'boolean' },
        once: { type: 'boolean' },
        json: { type: 'boolean' },
        verbose: { type: 'boolean' },
        'sqs-port': { type: 'string' },
        'dynamodb-port': { type: 'string' },
        'moto-port': { type: 'string' },
        'control-port': { type: 'string' },
        'work-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { help, ...values } = parsed.values;
  if (help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [command = 'up', ...rest] = parsed.positionals;
  if (command !== 'up' || rest.length > 0) {
    process.stderr.write(`unknown command "${[command, ...rest].join(' ')}"; accepted: up\n\n${USAGE}`);
    return 2;
  }
  const options = parseOrThrow(optionsSchema, values, 'options');
  const say = (line: string) => {
    if (!options.json) process.stdout.write(`${line}\n`);
  };

  say(`offsite local cloud: starting (${options.backend} backend)…`);
  const cloud = await startLocalCloud({
    backend: options.backend,
    workDir: path.resolve(options['work-dir']),
    ports: {
      sqsS3: options['sqs-port'],
      dynamodb: options['dynamodb-port'],
      moto: options['moto-port'],
      functionUrl: options['control-port'],
    },
    logToConsole: options.verbose,
    onFiring: (f) => say(`schedule ${f.rule} fired at ${f.time}: ${f.ok ? 'ok' : f.error}`),
    onEventSourceError: (mapping, error) => say(`event source ${mapping}: ${String(error)}`),
  });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      say('offsite local cloud: stopping…');
      await cloud.stop();
      say('offsite local cloud: stopped');
    })();
    return stopping;
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  process.once('SIGTERM', () => void stop().then(() => process.exit(143)));

  const summary = describe(cloud);
  writeFileSync(
    path.join(path.resolve(options['work-dir']), 'endpoints.json'),
    `${JSON.stringify(summary, null, 2)}\n`,
  );
  // The outputs as `cdk deploy --outputs-file` writes them (`offsite init --outputs` reads them), with where the
  // local S3 and SQS listen.
  writeFileSync(
    path.join(path.resolve(options['work-dir']), 'outputs.json'),
    `${JSON.stringify({ Offsite: { ...cloud.outputs, LocalEndpoint: cloud.endpoints.s3 } }, null, 2)}\n`,
  );
  if (options.json) process.stdout.write(`${JSON.stringify({ event: 'ready', ...summary })}\n`);
  else printSummary(summary, say);

  if (options.demo) {
    try {
      const result = await runDemo(cloud, (line) => say(`demo: ${line}`));
      if (options.json) process.stdout.write(`${JSON.stringify({ event: 'demo', ...result })}\n`);
      say('demo: done — the local cloud keeps running; Ctrl-C stops it');
    } catch (error) {
      process.stderr.write(`demo failed: ${(error as Error).message}\n`);
      await stop();
      return 1;
    }
  }
  if (options.once) {
    await stop();
    return 0;
  }
  await new Promise(() => undefined);
  return 0;
}

function describe(cloud: LocalCloud) {
  return {
    backend: cloud.backend,
    region: 'us-east-1',
    endpoints: cloud.endpoints,
    outputs: cloud.outputs,
    functions: [...cloud.functions.values()].map((f) => f.definition.name),
    eventSources: cloud.eventSources.map((s) => ({
      function: s.mapping.functionName,
      queue: s.mapping.queueArn,
      batchSize: s.mapping.batchSize,
    })),
    schedules: cloud.resources.rules.map((r) => ({ rule: r.name, expression: r.scheduleExpression })),
    notEmulated: cloud.resources.notEmulated,
  };
}

function printSummary(s: ReturnType<typeof describe>, say: (line: string) => void): void {
  say('offsite local cloud: ready on 127.0.0.1 (region us-east-1, any credentials)');
  say(`  S3         ${s.endpoints.s3}`);
  say(`  SQS        ${s.endpoints.sqs}`);
  say(`  SNS        ${s.endpoints.sns}`);
  say(`  DynamoDB   ${s.endpoints.dynamodb}`);
  if (s.endpoints.eventbridge) say(`  EventBridge ${s.endpoints.eventbridge}`);
  for (const [key, value] of Object.entries(s.outputs)) say(`  ${key.padEnd(18)} ${value}`);
  say(`  functions: ${s.functions.join(', ')}`);
  say(`  schedules: ${s.schedules.map((r) => `${r.rule} ${r.expression}`).join('; ')}`);
  say(`  not emulated (accepted, no effect locally): ${s.notEmulated.join(', ')}`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      error instanceof OffsiteError
        ? `offsite: ${error.message}\n`
        : `offsite: ${String((error as Error)?.stack ?? error)}\n`,
    );
    process.exit(1);
  },
);
