import { type FileHandle, open } from 'node:fs/promises';

/** Random-access bytes: a file on disk, or a segment held in memory or fetched by range. */
export interface ByteSource {
  /** Up to `length` bytes from `position` (fewer at the end). */
  read(position: number, length: number): Promise<Buffer>;
  /** Fills `target` from `position` (fewer bytes at the end); the count read. Lets a caller reuse one buffer. */
  readInto(target: Buffer, position: number): Promise<number>;
  /** Current size; a live file may have grown since the last call. */
  size(): Promise<number>;
  close(): Promise<void>;
}

export function bufferSource(bytes: Buffer): ByteSource {
  return {
    read: async (position, length) => bytes.subarray(position, Math.min(bytes.length, position + length)),
    readInto: async (target, position) => bytes.copy(target, 0, Math.min(position, bytes.length)),
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
  const readInto = async (target: Buffer, position: number): Promise<number> => {
    let filled = 0;
    while (filled < target.length) {
      const { bytesRead } = await handle.read(target, filled, target.length - filled, position + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled;
  };
  return {
    async read(position, length) {
      const buffer = Buffer.allocUnsafe(length);
      return buffer.subarray(0, await readInto(buffer, position));
    },
    readInto,
    size: async () => (await handle.stat()).size,
    close: () => handle.close(),
  };
}
