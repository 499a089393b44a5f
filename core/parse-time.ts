import { ValidationError } from '#core/errors.ts';

export interface ParseTimeOptions {
  /**
   * The zone of times written without one (the Zimbra formats, ISO 8601 without an offset): an IANA name
   * such as `Europe/Paris`, or `UTC` (the default). Times with `Z` or an offset ignore it.
   */
  zone?: string;
}

export const TIME_FORMATS =
  'ISO 8601 (2026-11-20T10:15:00Z, 2026-11-20 10:15), the Zimbra forms 2010/11/19 14:06:22, 20101119.140622 and 20101119140622, or epoch milliseconds';

// Any number of fraction digits, as other tools print them (microseconds, nanoseconds); kept to the millisecond.
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const ZIMBRA_SLASH = /^(\d{4})\/(\d{2})\/(\d{2})(?: (\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?$/;
const ZIMBRA_DOTTED = /^(\d{4})(\d{2})(\d{2})\.(\d{2})(\d{2})(\d{2})(?:\.(\d{3}))?$/;
const ZIMBRA_PACKED = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;
const EPOCH_MS = /^\d{1,13}$/;

/**
 * Parses a time an operator types into epoch milliseconds. Rule for zones: `Z` or an offset is used as
 * given; anything without one is wall-clock time in `options.zone` (UTC unless set), so
 * "yesterday at 10:15" means 10:15 where the help desk says it, not where the server runs.
 * A 14-digit number is the Zimbra form yyyyMMddHHmmss; 13 digits or fewer are epoch milliseconds.
 */
export function parseTime(text: string, options: ParseTimeOptions = {}): number {
  const value = text.trim();
  if (EPOCH_MS.test(value)) return Number(value);
  const m =
    ISO.exec(value) ?? ZIMBRA_SLASH.exec(value) ?? ZIMBRA_DOTTED.exec(value) ?? ZIMBRA_PACKED.exec(value);
  if (!m) throw new ValidationError(`${JSON.stringify(text)} is not a time; use ${TIME_FORMATS}`);
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  // Truncated, not rounded: "as of" a sub-millisecond instant never takes in what came after it.
  const ms = Number((m[7] ?? '0').slice(0, 3).padEnd(3, '0'));
  const fields = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(fields);
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    throw new ValidationError(`${JSON.stringify(text)} is not a valid date and time`);
  }
  // Only the ISO form has an offset group.
  const offset = m[8];
  if (offset === 'Z') return fields;
  if (offset) {
    const sign = offset.startsWith('-') ? -1 : 1;
    const digits = offset.slice(1).replace(':', '');
    return fields - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return fromWallClock(fields, options.zone ?? 'UTC', text);
}

/** The calendar fields a clock in `zone` (an IANA name) shows at `instant`, to the second. */
export function wallClock(
  instant: number,
  zone: string,
): Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', string> {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const parts = Object.fromEntries(format.formatToParts(instant).map((p) => [p.type, p.value]));
  const { year = '', month = '', day = '', hour = '', minute = '', second = '' } = parts;
  return { year, month, day, hour, minute, second };
}

/** Epoch ms of wall-clock `fields` (as if UTC) in `zone`; a time skipped by a DST change moves forward. */
function fromWallClock(fields: number, zone: string, text: string): number {
  if (zone === 'UTC') return fields;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch (error) {
    throw new ValidationError(
      `unknown time zone ${JSON.stringify(zone)} for ${JSON.stringify(text)}; use an IANA name such as Europe/Paris, or UTC`,
      [],
      { cause: error },
    );
  }
  const offsetAt = (instant: number) => {
    const c = wallClock(instant, zone);
    const wall = Date.UTC(
      Number(c.year),
      Number(c.month) - 1,
      Number(c.day),
      Number(c.hour),
      Number(c.minute),
      Number(c.second),
    );
    return wall - Math.floor(instant / 1000) * 1000;
  };
  // Two passes settle the offset on either side of a DST change.
  const first = fields - offsetAt(fields);
  return fields - offsetAt(first);
}
