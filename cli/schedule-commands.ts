import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { CommandInput } from '#cli/command-spec.ts';
import type { SCHEDULE_OPTIONS } from '#cli/specs/schedule-group.ts';
import { textTable } from '#cli/text-table.ts';
import { OffsiteError } from '#core/errors.ts';
import { nextFiring, parseSchedule } from '#core/schedule-expression.ts';
import {
  DEFAULT_SCHEDULES,
  parseStackConfig,
  SCHEDULE_JOBS,
  SCHEDULE_OFF,
  type ScheduleJob,
} from '#core/stack-config.ts';

interface ScheduleRow {
  job: ScheduleJob;
  expression: string;
  custom: boolean;
  next: string[];
}

/** `offsite schedule …`: the EventBridge schedules as the stack configuration holds them. */
export function scheduleCommand(
  command: 'show' | 'set' | 'reset',
  { values, positionals, write }: CommandInput<typeof SCHEDULE_OPTIONS>,
  now: () => Date = () => new Date(),
): number {
  const file = values['context-file'];
  if (command === 'reset' && values.all === positionals.length > 0)
    throw new OffsiteError('offsite schedule reset takes a job or --all');
  const document = readContext(file);
  const context = (document.context ?? {}) as Record<string, unknown>;
  const offsite = { ...((context.offsite ?? {}) as Record<string, unknown>) };
  const schedules = { ...((offsite.schedules ?? {}) as Record<string, string>) };

  if (command !== 'show') {
    if (command === 'set') {
      const [job, expression] = positionals as [string, string];
      schedules[jobOf(job)] = expression;
    } else if (values.all) for (const job of SCHEDULE_JOBS) delete schedules[job];
    else delete schedules[jobOf(positionals[0] as string)];
    const next = { ...offsite, schedules };
    // The same validation as the deployment: an expression it would refuse is refused here.
    parseStackConfig(next);
    writeContext(file, { ...document, context: { ...context, offsite: next } });
  }
  const config = parseStackConfig({ ...offsite, schedules });
  const rows: ScheduleRow[] = SCHEDULE_JOBS.map((job) => {
    const expression = config.schedules[job] ?? DEFAULT_SCHEDULES[job];
    const next: string[] = [];
    if (expression === SCHEDULE_OFF)
      return { job, expression, custom: config.schedules[job] !== undefined, next };
    const schedule = parseSchedule(expression);
    let after = now();
    for (let i = 0; i < 3; i++) {
      const at = nextFiring(schedule, after);
      if (!at) break;
      next.push(at.toISOString());
      after = at;
    }
    return { job, expression, custom: config.schedules[job] !== undefined, next };
  });
  if (values.json) write(`${JSON.stringify({ file, schedules: rows }, null, 2)}\n`);
  else {
    write(
      `${textTable(
        ['JOB', 'SCHEDULE', 'FROM', 'NEXT'],
        rows.map((r) => [r.job, r.expression, r.custom ? 'set' : 'default', r.next[0] ?? '-']),
      )}\n`,
    );
    if (command !== 'show') write(`written to ${file}; deploy (npx cdk deploy) to apply\n`);
  }
  return 0;
}

function jobOf(value: string): ScheduleJob {
  if (!(SCHEDULE_JOBS as readonly string[]).includes(value))
    throw new OffsiteError(`unknown job ${value}: ${SCHEDULE_JOBS.join(', ')}`);
  return value as ScheduleJob;
}

function readContext(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new OffsiteError(
      `cannot read ${file}: ${(error as Error).message}; run in the project directory or pass --context-file`,
      { cause: error },
    );
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new OffsiteError(`${file} is not JSON: ${(error as Error).message}`, { cause: error });
  }
}

/** Whole or not at all: a crash never leaves half a configuration file. */
function writeContext(file: string, document: Record<string, unknown>): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(document, null, 2)}\n`);
  renameSync(temporary, file);
}
