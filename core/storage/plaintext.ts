import { gunzipSync, zstdDecompressSync } from 'node:zlib';
import { OffsiteError } from '#core/errors.ts';

/** The most a stored object may decompress to when its size is not known beforehand. */
export const MAX_PLAINTEXT_BYTES = 1024 * 1024 * 1024;

/** A stored object that does not decompress by its codec, or would grow past its limit (a decompression bomb). */
export class PlaintextError extends OffsiteError {
  override readonly name = 'PlaintextError';
}

/**
 * A stored object's bytes as they were written: decompressed by its codec (`zstd`, `gzip`, or none), never
 * to more than `maxBytes` — the object's known plaintext size where the caller has it, so a small object
 * that claims to be a message cannot fill the memory of whoever reads it.
 */
export function plaintextOf(
  stored: Uint8Array,
  codec: string | undefined,
  maxBytes: number = MAX_PLAINTEXT_BYTES,
): Buffer {
  const bytes = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  const options = { maxOutputLength: Math.max(1, maxBytes) };
  try {
    if (codec === 'zstd') return zstdDecompressSync(bytes, options);
    if (codec === 'gzip') return gunzipSync(bytes, options);
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    throw new PlaintextError(
      code === 'ERR_BUFFER_TOO_LARGE'
        ? `decompresses to more than the ${maxBytes} bytes it may hold`
        : `does not decompress as ${codec}: ${(cause as Error).message}`,
      { cause },
    );
  }
  if (codec === undefined || codec === 'none') {
    if (bytes.length > maxBytes) throw new PlaintextError(`holds more than the ${maxBytes} bytes it may`);
    return bytes;
  }
  throw new PlaintextError(`has an unknown codec ${codec}`);
}
