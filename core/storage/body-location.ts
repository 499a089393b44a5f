import { indexKeys, keyPrefixes } from '#core/index-keys.ts';
import { packDigest } from '#core/storage/body-keys.ts';
import { FRAME_VERSION, type FrameCodec, type PackedBody } from '#core/storage/body-pack.ts';

/** Where a body is stored: the key of its pack and its frame there. */
export interface BodyLocation extends PackedBody {
  readonly pack: string;
  /** The reference the location item holds (read only: `locationItem` writes what it is given). */
  readonly firstRef?: string;
}

/**
 * The index item (`BLOB#<sha256>` / `LOC`) that records a body's location. `firstRef`, when given, is the
 * reference (a `REF#…` sort key under the blob) of the item the body was stored for: held in the location
 * rather than in an item of its own, it costs no write, and most bodies have no other reference.
 */
export function locationItem(location: BodyLocation, at: string, firstRef?: string): Record<string, unknown> {
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
    ...(firstRef !== undefined ? { [FIRST_REF]: firstRef } : {}),
  };
}

/** The attribute of a `LOC` item that holds the reference of the item its body was first stored for. */
export const FIRST_REF = 'firstRef';

/** The reference a `LOC` item holds (see `locationItem`), if any. */
export function firstRefOf(item: Record<string, unknown>): string | undefined {
  const ref = item[FIRST_REF];
  return typeof ref === 'string' && ref.startsWith(keyPrefixes.blobRef) ? ref : undefined;
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
  const firstRef = firstRefOf(item);
  return {
    sha256,
    pack,
    offset,
    length,
    size,
    codec: codec as FrameCodec,
    keyId,
    ...(firstRef !== undefined ? { firstRef } : {}),
  };
}
