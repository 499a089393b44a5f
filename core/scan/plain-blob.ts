import { gunzipSync } from 'node:zlib';

/** A blob file's message bytes: volumes with compression keep large blobs gzipped (spec §5: check the magic). */
export function plainBlob(stored: Buffer): Buffer {
  return stored.length >= 2 && stored[0] === 0x1f && stored[1] === 0x8b ? gunzipSync(stored) : stored;
}
