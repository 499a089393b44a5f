/** The content-addressed blob store: `blobs/<first two hex digits>/<sha256 of the plaintext>`. */
export function blobKey(sha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new RangeError(`not a lowercase hex SHA-256: ${sha256}`);
  return `blobs/${sha256.slice(0, 2)}/${sha256}`;
}
