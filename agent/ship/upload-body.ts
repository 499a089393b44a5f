import { createReadStream } from 'node:fs';

/** Bytes are read, sent and paced in chunks of this size. */
export const PACE_CHUNK = 256 * 1024;

/**
 * What an upload sends: its size, and its bytes read by range when they are sent, so a spooled file is
 * never held whole (uploads in flight would hold every object they send).
 */
export interface UploadBody {
  size: number;
  /** Bytes [start, end), in chunks of at most `PACE_CHUNK`. */
  chunks(start: number, end: number): AsyncIterable<Buffer>;
}

/** A body in memory. */
export function bufferBody(bytes: Buffer): UploadBody {
  return {
    size: bytes.length,
    async *chunks(start, end) {
      for (let at = start; at < end; at += PACE_CHUNK)
        yield bytes.subarray(at, Math.min(end, at + PACE_CHUNK));
    },
  };
}

/** A body read from a file of `size` bytes when it is sent. */
export function fileBody(path: string, size: number): UploadBody {
  return {
    size,
    chunks: (start, end) =>
      end > start
        ? createReadStream(path, { start, end: end - 1, highWaterMark: PACE_CHUNK })
        : (async function* () {})(),
  };
}
