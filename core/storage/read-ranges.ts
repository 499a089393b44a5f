import type { BodyLocation } from '#core/storage/body-location.ts';

/** One ranged GET of a pack: the bytes `[start, end)` and the bodies that lie in them. */
export interface PackRange {
  readonly pack: string;
  readonly start: number;
  readonly end: number;
  readonly bodies: readonly BodyLocation[];
}

export interface RangeLimits {
  /** Bytes between two bodies that are read (and thrown away) rather than paid for with another request. */
  readonly maxGap: number;
  /** The most one request reads (a body larger than this is one request alone). */
  readonly maxBytes: number;
}

// On S3 a request costs about what 1 MiB of transfer does (tens of milliseconds): a gap below that is read
// through rather than paid for with another request.
export const DEFAULT_RANGE_LIMITS: RangeLimits = { maxGap: 1024 * 1024, maxBytes: 16 * 1024 * 1024 };

/**
 * The requests that read these bodies: per pack, in offset order, neighbours merged into one range while
 * the gap between them and the range's length stay within the limits. A body is read once however often
 * it is asked for.
 */
export function readRanges(
  locations: readonly BodyLocation[],
  limits: RangeLimits = DEFAULT_RANGE_LIMITS,
): PackRange[] {
  const byPack = new Map<string, Map<string, BodyLocation>>();
  for (const location of locations) {
    const bodies = byPack.get(location.pack) ?? new Map<string, BodyLocation>();
    bodies.set(`${location.offset}:${location.sha256}`, location);
    byPack.set(location.pack, bodies);
  }
  const ranges: PackRange[] = [];
  for (const [pack, bodies] of [...byPack].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const sorted = [...bodies.values()].sort((a, b) => a.offset - b.offset);
    let current: { start: number; end: number; bodies: BodyLocation[] } | undefined;
    for (const body of sorted) {
      const end = body.offset + body.length;
      if (
        current &&
        body.offset - current.end <= limits.maxGap &&
        Math.max(end, current.end) - current.start <= limits.maxBytes
      ) {
        current.end = Math.max(current.end, end);
        current.bodies.push(body);
        continue;
      }
      if (current) ranges.push({ pack, ...current });
      current = { start: body.offset, end, bodies: [body] };
    }
    if (current) ranges.push({ pack, ...current });
  }
  return ranges;
}
