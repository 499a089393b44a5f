import { OffsiteError } from '#core/errors.ts';
import { parseTime } from '#core/parse-time.ts';

/** A TIME option (`--at`, `--from`…) as epoch ms, read in `--tz` when it has no offset; a bad one is named. */
export function timeOption(
  value: string | undefined,
  flag: string,
  tz: string | undefined,
): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseTime(value, tz === undefined ? {} : { zone: tz });
  } catch (error) {
    throw new OffsiteError(`--${flag} ${(error as Error).message}`, { cause: error });
  }
}

/** The same, as the ISO 8601 UTC instant the control API is sent. */
export function isoOption(
  value: string | undefined,
  flag: string,
  tz: string | undefined,
): string | undefined {
  const ms = timeOption(value, flag, tz);
  return ms === undefined ? undefined : new Date(ms).toISOString();
}
