import assert from 'node:assert/strict';

/** Equal item sets (index items as sorted JSON), with a readable difference when not. */
export function assertSameItems(actual: string[], expected: string[]): void {
  const want = new Set(expected);
  const have = new Set(actual);
  const missing = expected.filter((i) => !have.has(i));
  const extra = actual.filter((i) => !want.has(i));
  assert.ok(
    missing.length === 0 && extra.length === 0,
    `${missing.length} items missing, ${extra.length} unexpected.\nmissing: ${missing.slice(0, 3).join('\n')}\nunexpected: ${extra.slice(0, 3).join('\n')}`,
  );
  assert.equal(actual.length, expected.length);
}

/** A value with every object's keys in order (sets as sorted lists): its JSON compares across writers. */
export function sortKeys(value: unknown): unknown {
  if (value instanceof Set) return [...value].sort();
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  return value;
}
