import assert from 'node:assert/strict';
import { keyPrefixes } from '#core/index-keys.ts';
import { heldRefsOf } from '#core/storage/body-location.ts';

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

/**
 * The references an index item records, as `reference <blob> <ref>` lines, or undefined for an item that
 * records none: a reference item of its own, or those a body's location holds. Indexes built in another
 * order (a second server finding bodies stored, a reindex after the table was lost and locations were read
 * back from the packs) hold the same references in other places; compared this way they are the same.
 */
export function referenceLines(item: Record<string, unknown>): string[] | undefined {
  const sk = String(item.sk);
  const refs = sk.startsWith(keyPrefixes.blobRef) ? [sk] : heldRefsOf(item);
  return refs.length === 0 ? undefined : refs.map((ref) => `reference ${String(item.pk)} ${ref}`);
}
