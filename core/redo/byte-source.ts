import { type FileHandle, open } from 'node:fs/promises';

/** Random-access bytes: a file on disk, or a segment held in memory or fetched by range. */
export interface ByteSource {
  /** Up to `length` bytes from `position` (fewer at the end). */
  read(position: number, length: number): Promise<Buffer>;
  /** Current size; a live file may have grown since the last call. */
  size(): Promise<number>;
  close(): Promise<void>;
}

export function bufferSource(bytes: Buffer): ByteSource {
  return {
    read: async (position, length) => bytes.subarray(position, Math.min(bytes.length, position + length)),
    size: async () => bytes.length,
    close: async () => {},
  };
}

/** A file read by position; it is never read whole. */
export async function fileSource(path: string): Promise<ByteSource> {
  return handleSource(await open(path, 'r'));
}

/** An open file handle as a source: keeps reading a file that was renamed or deleted since it was opened. */
export function handleSource(handle: FileHandle): ByteSource {
  return {
    async read(position, length) {
      const buffer = Buffer.allocUnsafe(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return buffer.subarray(0, filled);
    },
    size: async () => (await handle.stat()).size,
    close: () => handle.close(),
  };
}
