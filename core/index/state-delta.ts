import { isDeepStrictEqual } from 'node:util';

/**
 * An older state told by how it differs from the newer one, field by field: `set` holds the older values of
 * the fields that differ (or that the newer state lacks), `unset` the fields only the newer one has. A flag
 * or a move is a few bytes, where the whole state is hundreds.
 */
export interface StateDelta {
  set?: Record<string, unknown>;
  unset?: string[];
}

type State = Record<string, unknown>;

export function stateDelta(older: object, newer: object): StateDelta {
  const o = older as State;
  const n = newer as State;
  const set: State = {};
  for (const [field, value] of Object.entries(o))
    if (value !== undefined && !isDeepStrictEqual(value, n[field])) set[field] = value;
  const unset = Object.keys(n).filter((field) => n[field] !== undefined && o[field] === undefined);
  return {
    ...(Object.keys(set).length > 0 ? { set } : {}),
    ...(unset.length > 0 ? { unset } : {}),
  };
}

/** The older state back from the newer one and their delta (the newer state is not changed). */
export function applyDelta<T extends object>(newer: T, delta: StateDelta): T {
  const out: State = { ...(newer as State) };
  for (const field of delta.unset ?? []) delete out[field];
  for (const [field, value] of Object.entries(delta.set ?? {})) out[field] = structuredClone(value);
  return out as T;
}
