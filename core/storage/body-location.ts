import { indexKeys, keyPrefixes } from '#core/index-keys.ts';
import { packDigest } from '#core/storage/body-keys.ts';
import { FRAME_VERSION, type FrameCodec, type PackedBody } from '#core/storage/body-pack.ts';

/** Where a body is stored: the key of its pack and its frame there. */
export interface BodyLocation extends PackedBody {
  readonly pack: string;
  /** The references the location item holds (read only: `locationItem` writes what it is given). */
  readonly heldRefs?: readonly string[];
}

/** The most references a location holds; an item's further ones are items of their own. */
export const MAX_HELD_REFS = 16;

/**
 * The index item (`BLOB#<sha256>` / `LOC`) that records a body's location. `heldRefs`, when given, are the
 * references (`REF#…` sort keys under the blob) of the items the body was stored for: held in the location
 * rather than in items of their own, they cost no write, and most bodies never have another reference.
 */
export function locationItem(
  location: BodyLocation,
  at: string,
  heldRefs: readonly string[] = [],
): Record<string, unknown> {
  if (heldRefs.length > MAX_HELD_REFS)
    throw new RangeError(`a location holds at most ${MAX_HELD_REFS} references, not ${heldRefs.length}`);
  const held = heldRefsValue(heldRefs);
  return {
    pk: indexKeys.blob(location.sha256),
    sk: indexKeys.location,
    pack: location.pack,
    offset: location.offset,
    length: location.length,
    size: location.size,
    codec: location.codec,
    frame: FRAME_VERSION,
    keyId: location.keyId,
    at,
    ...(held !== undefined ? { [HELD_REFS]: held } : {}),
  };
}

/** The attribute of a `LOC` item that holds references: one string, so a condition compares it whole. */
export const HELD_REFS = 'refs';

/** The stored value of held references (sorted, space-separated), or undefined for none. */
export function heldRefsValue(refs: readonly string[]): string | undefined {
  for (const ref of refs)
    if (!ref.startsWith(keyPrefixes.blobRef) || /\s/.test(ref))
      throw new RangeError(`not a reference a location can hold: ${ref}`);
  return refs.length === 0 ? undefined : [...new Set(refs)].sort().join(' ');
}

/** The references a `LOC` item holds (see `locationItem`); anything else in the attribute is not one. */
export function heldRefsOf(item: Record<string, unknown>): string[] {
  const value = item[HELD_REFS];
  if (typeof value !== 'string') return [];
  return value.split(' ').filter((ref) => ref.startsWith(keyPrefixes.blobRef));
}

const natural = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

/**
 * The location a `LOC` item records, or undefined for an item that is not one this release can read (a
 * frame version or codec it does not know): the body is then read as if it had no location.
 */
export function locationOf(item: Record<string, unknown>): BodyLocation | undefined {
  const { pk, sk, pack, offset, length, size, codec, frame, keyId } = item;
  if (sk !== indexKeys.location || typeof pk !== 'string' || !pk.startsWith(keyPrefixes.blob))
    return undefined;
  const sha256 = pk.slice(keyPrefixes.blob.length);
  if (typeof pack !== 'string' || packDigest(pack) === undefined) return undefined;
  if (!natural(offset) || !natural(length) || !natural(size)) return undefined;
  if ((codec !== 'zstd' && codec !== 'none') || frame !== FRAME_VERSION || typeof keyId !== 'string')
    return undefined;
  const heldRefs = heldRefsOf(item);
  return {
    sha256,
    pack,
    offset,
    length,
    size,
    codec: codec as FrameCodec,
    keyId,
    ...(heldRefs.length > 0 ? { heldRefs } : {}),
  };
}
