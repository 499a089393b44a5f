import { indexKeys, keyPrefixes } from '#core/index-keys.ts';
import { packDigest } from '#core/storage/body-keys.ts';
import { FRAME_VERSION, type FrameCodec, type PackedBody } from '#core/storage/body-pack.ts';

/** Where a body is stored: the key of its pack and its frame there. */
export interface BodyLocation extends PackedBody {
  readonly pack: string;
}

/** The index item (`BLOB#<sha256>` / `LOC`) that records a body's location. */
export function locationItem(location: BodyLocation, at: string): Record<string, unknown> {
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
  };
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
  return { sha256, pack, offset, length, size, codec: codec as FrameCodec, keyId };
}
