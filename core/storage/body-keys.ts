// Where bodies live in the bucket. Packs (`packs/…`) are what the indexer writes; a single object per body
// (`blobs/…`) is what a scan uploaded before packs, and is still read, checked and purged.
import { BUCKET } from '#core/storage/bucket-layout.ts';

const SHA = /^[0-9a-f]{64}$/;

function checked(sha256: string): string {
  if (!SHA.test(sha256)) throw new RangeError(`not a lowercase hex SHA-256: ${sha256}`);
  return sha256;
}

/** A body stored alone: `blobs/<first two hex digits>/<sha256 of the plaintext>`. */
export function blobKey(sha256: string): string {
  return `${BUCKET.blobs}${checked(sha256).slice(0, 2)}/${sha256}`;
}

/** A pack: `packs/<first two hex digits>/<sha256 of the pack's bytes>`. */
export function packKey(sha256: string): string {
  return `${BUCKET.packs}${checked(sha256).slice(0, 2)}/${sha256}`;
}

export const PACKS_PREFIX = BUCKET.packs;

/** The digest a pack key names, or undefined for a key that is not a pack's. */
export function packDigest(key: string): string | undefined {
  const m = /^packs\/([0-9a-f]{2})\/([0-9a-f]{64})$/.exec(key);
  return m?.[2]?.startsWith(m[1] ?? '') ? m[2] : undefined;
}
