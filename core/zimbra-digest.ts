import { createHash } from 'node:crypto';

/** Zimbra's blob digest: SHA-256, base64 with `=` padding and `/` replaced by `,` (spec §5). */
export function zimbraDigest(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('base64').replaceAll('/', ',');
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}
