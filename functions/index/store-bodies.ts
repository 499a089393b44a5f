import type { StoredBody } from '#core/index/apply-transaction.ts';
import { type BodyStoreTarget, locateBodies, packBodies } from '#functions/storage/body-store.ts';
import { sweptSince } from '#functions/storage/sweep-marks.ts';

/** What storing a segment's bodies did. */
export interface StoredBodies {
  /** Bodies written into new packs (each once). */
  written: number;
  /** Packs written. */
  packs: number;
  /** The references each body's location holds (written now, or found there), by digest. */
  heldRefs: Map<string, ReadonlySet<string>>;
}

/**
 * Writes the message bodies the index has no location for into packs, each once; a body already located is
 * not written again. A new body's location holds the references `heldRefs` names for it (at most
 * MAX_HELD_REFS), which then need no items of their own (the result's `heldRefs` says which do, including
 * those a retry finds written by its first run).
 * Only the indexer records locations, and only of packs it wrote itself from bodies it hashed, so no host
 * can make the backup keep other bytes under a message's digest.
 */
export async function storeBodies(
  target: BodyStoreTarget,
  bodies: readonly StoredBody[],
  heldRefs: ReadonlyMap<string, readonly string[]> = new Map(),
): Promise<StoredBodies> {
  const located = await locateBodies(
    target.table,
    bodies.map((b) => b.sha256),
  );
  const held = new Map<string, ReadonlySet<string>>();
  for (const [sha256, location] of located)
    if (location.heldRefs !== undefined) held.set(sha256, new Set(location.heldRefs));
  const missing = bodies.filter((b) => !located.has(b.sha256));
  if (missing.length === 0) return { written: 0, packs: 0, heldRefs: held };
  const packed = await packBodies(target, missing, undefined, heldRefs);
  for (const body of missing) {
    const refs = heldRefs.get(body.sha256);
    if (refs !== undefined) held.set(body.sha256, new Set(refs));
  }
  return { written: packed.written, packs: packed.packs.length, heldRefs: held };
}

/**
 * Writes again the bodies whose location went after `storeBodies` found them located (at `since` or later,
 * this function's clock) and before this segment's references were written: a purge drops a location only
 * after finding no reference, and looks again after; whatever it missed is found here. Only a sweep that
 * overlapped the segment can have dropped one: without one, nothing is read again. Returns how many were
 * written.
 */
export async function rewriteLostBodies(
  target: BodyStoreTarget,
  bodies: readonly StoredBody[],
  since: number,
): Promise<number> {
  if (bodies.length === 0 || !(await sweptSince(target.table, since))) return 0;
  return (await storeBodies(target, bodies)).written;
}
