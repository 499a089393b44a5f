import type { EntityState } from '#core/index/index-entity.ts';

/** A version or head as far as "valid at T" needs it; `toTime` absent: still current. */
export interface TimedState {
  key: string;
  state: EntityState | null;
  fromPos: string;
  fromTime: number;
  toTime?: number;
}

/**
 * The entities valid at `time` (ms): versions with fromTime ≤ time < toTime and heads with fromTime ≤ time.
 * Should commit times ever step back in the log, the version latest in redo order wins.
 */
export function entitiesAsOf(candidates: Iterable<TimedState>, time: number): Map<string, EntityState> {
  const best = new Map<string, TimedState>();
  for (const c of candidates) {
    if (c.fromTime > time || (c.toTime !== undefined && c.toTime <= time)) continue;
    const seen = best.get(c.key);
    if (!seen || seen.fromPos < c.fromPos) best.set(c.key, c);
  }
  const out = new Map<string, EntityState>();
  for (const [key, c] of best) if (c.state) out.set(key, c.state);
  return out;
}
