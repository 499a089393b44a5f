import { ValidationError } from '#core/errors.ts';

/**
 * EventBridge schedule expressions: `rate(N unit)` and `cron(min hour day-of-month month day-of-week year)`,
 * evaluated in UTC. Supported in cron fields: `*`, `?`, numbers, names (JAN-DEC, SUN-SAT), ranges `a-b`,
 * lists `a,b` and steps `x/n`. `L`, `W` and `#` are rejected by name rather than misread.
 */
export type Schedule =
  | { readonly kind: 'rate'; readonly everyMs: number }
  | {
      readonly kind: 'cron';
      readonly minutes: ReadonlySet<number>;
      readonly hours: ReadonlySet<number>;
      readonly daysOfMonth: ReadonlySet<number> | undefined;
      readonly months: ReadonlySet<number>;
      readonly daysOfWeek: ReadonlySet<number> | undefined;
      readonly years: ReadonlySet<number> | undefined;
    };

const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

export function parseSchedule(expression: string): Schedule {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate?.[1] && rate[2]) {
    const n = Number(rate[1]);
    const unit = rate[2].replace(/s$/, '');
    if (n < 1) throw invalid(expression, 'a rate must be at least 1');
    if ((n === 1) !== (rate[2] === unit))
      throw invalid(expression, `write "rate(1 ${unit})" or "rate(${n} ${unit}s)"`);
    return { kind: 'rate', everyMs: n * (UNIT_MS[unit] ?? 0) };
  }
  const cron = /^cron\((.+)\)$/.exec(expression);
  const fields = cron?.[1]?.trim().split(/\s+/);
  if (fields?.length !== 6) {
    throw invalid(
      expression,
      'expected rate(N minutes|hours|days) or cron(min hour day-of-month month day-of-week year)',
    );
  }
  const [min, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?'))
    throw invalid(expression, 'exactly one of day-of-month and day-of-week must be "?"');
  return {
    kind: 'cron',
    minutes: field(min, 0, 59, [], expression, 'minutes'),
    hours: field(hour, 0, 23, [], expression, 'hours'),
    daysOfMonth: dom === '?' ? undefined : field(dom, 1, 31, [], expression, 'day-of-month'),
    months: field(month, 1, 12, MONTHS, expression, 'month'),
    // EventBridge numbers days 1 (SUN) to 7 (SAT); stored as 0-6 like Date.getUTCDay().
    daysOfWeek: dow === '?' ? undefined : shift(field(dow, 1, 7, DAYS, expression, 'day-of-week'), -1),
    years: year === '*' ? undefined : field(year, 1970, 2199, [], expression, 'year'),
  };
}

/** The first firing strictly after `after`. Rates count from `origin` (when the rule was created). */
export function nextFiring(schedule: Schedule, after: Date, origin: Date = after): Date | undefined {
  if (schedule.kind === 'rate') {
    const elapsed = after.getTime() - origin.getTime();
    const periods = Math.floor(elapsed / schedule.everyMs) + 1;
    return new Date(origin.getTime() + Math.max(1, periods) * schedule.everyMs);
  }
  const t = new Date(after.getTime());
  t.setUTCSeconds(0, 0);
  t.setUTCMinutes(t.getUTCMinutes() + 1);
  const limit = after.getTime() + 5 * 366 * 86_400_000;
  while (t.getTime() <= limit) {
    if (!dayMatches(schedule, t)) {
      t.setUTCHours(0, 0, 0, 0);
      t.setUTCDate(t.getUTCDate() + 1);
      continue;
    }
    if (!schedule.hours.has(t.getUTCHours())) {
      t.setUTCMinutes(0);
      t.setUTCHours(t.getUTCHours() + 1);
      continue;
    }
    if (schedule.minutes.has(t.getUTCMinutes())) return t;
    t.setUTCMinutes(t.getUTCMinutes() + 1);
  }
  return undefined;
}

function dayMatches(s: Extract<Schedule, { kind: 'cron' }>, t: Date): boolean {
  if (s.years && !s.years.has(t.getUTCFullYear())) return false;
  if (!s.months.has(t.getUTCMonth() + 1)) return false;
  if (s.daysOfMonth && !s.daysOfMonth.has(t.getUTCDate())) return false;
  if (s.daysOfWeek && !s.daysOfWeek.has(t.getUTCDay())) return false;
  return true;
}

function field(
  text: string,
  min: number,
  max: number,
  names: string[],
  expression: string,
  what: string,
): Set<number> {
  if (/[LW#]/.test(text.replace(/[A-Z]{3}/g, ''))) {
    throw invalid(expression, `${what}: L, W and # are not supported by offsite's scheduler`);
  }
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw invalid(expression, `${what}: bad step in "${part}"`);
    let from: number;
    let to: number;
    if (range === '*') {
      from = min;
      to = max;
    } else {
      const [a = '', b] = range.split('-');
      from = value(a, names, min, expression, what);
      to = b === undefined ? (stepText === undefined ? from : max) : value(b, names, min, expression, what);
    }
    if (from < min || to > max || from > to)
      throw invalid(expression, `${what}: "${part}" is outside ${min}-${max}`);
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

function value(text: string, names: string[], min: number, expression: string, what: string): number {
  const named = names.indexOf(text.toUpperCase());
  if (named >= 0) return named + min;
  if (!/^\d+$/.test(text))
    throw invalid(expression, `${what}: "${text}" is not a number${names.length ? ' or name' : ''}`);
  return Number(text);
}

function shift(values: Set<number>, by: number): Set<number> {
  return new Set([...values].map((v) => v + by));
}

function invalid(expression: string, why: string): ValidationError {
  return new ValidationError(`schedule expression "${expression}": ${why}`, [why]);
}
