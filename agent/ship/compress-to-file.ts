import { createHash, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createZstdCompress, type ZstdCompress, constants as zlib } from 'node:zlib';
import { AgentStateError } from '#agent/errors.ts';
import type { ByteSource } from '#core/redo/byte-source.ts';

/** The plaintext's size and SHA-256, and the size of what was stored. */
export interface CompressedFile {
  size: number;
  sha256: string;
  storedSize: number;
}

const CHUNK = 1024 * 1024;
const OUTPUT_CHUNK = 256 * 1024;

/**
 * Writes a new file `path` as one zstd frame of what it is given, digesting the plaintext on the way: what
 * the agent spools is compressed as it is produced, never held whole (a segment read whole, plus its
 * compressed copy, is what kept the agent's resident memory high; a directory dump grows with the directory).
 */
export class CompressedFileWriter {
  readonly path: string;
  private readonly zstd: ZstdCompress;
  private readonly written: Promise<void>;
  private readonly hash: Hash = createHash('sha256');
  private size = 0;
  private storedSize = 0;

  /** `pledgedSize`, when known, is stated in the frame's header (as a one-shot compression states it). */
  constructor(path: string, level: number, pledgedSize?: number) {
    this.path = path;
    this.zstd = createZstdCompress({
      chunkSize: OUTPUT_CHUNK,
      ...(pledgedSize !== undefined ? { pledgedSrcSize: pledgedSize } : {}),
      params: { [zlib.ZSTD_c_compressionLevel]: level },
    });
    this.zstd.on('data', (chunk: Buffer) => {
      this.storedSize += chunk.length;
    });
    this.written = pipeline(this.zstd, createWriteStream(path, { mode: 0o600 }));
    this.written.catch(() => undefined); // awaited by finish or abort; a failure meanwhile is taken there
  }

  /** Resolves once zstd has consumed `chunk` (done with its bytes: the buffer may be reused). */
  write(chunk: Buffer): Promise<void> {
    this.hash.update(chunk);
    this.size += chunk.length;
    return new Promise((resolve, reject) => {
      this.zstd.write(chunk, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Ends the frame; resolves once the file is written (not yet fsynced: the spool does that). */
  async finish(): Promise<CompressedFile> {
    this.zstd.end();
    await this.written;
    return { size: this.size, sha256: this.hash.digest('hex'), storedSize: this.storedSize };
  }

  /** Gives up: nothing of the file is left. */
  async abort(): Promise<void> {
    this.zstd.destroy();
    await this.written.catch(() => undefined);
    await rm(this.path, { force: true });
  }
}

/**
 * Compresses `length` bytes of `source` from `position` into a new file `path`. Two buffers of at most 1 MiB
 * take turns (one is read while the other is compressed on the thread pool), so an encoding holds about
 * 2.5 MiB whatever the range's size and leaves no range-sized buffer for the collector. A range that ends
 * early is an error and leaves no file.
 */
export async function compressToFile(
  source: ByteSource,
  position: number,
  length: number,
  level: number,
  path: string,
): Promise<CompressedFile> {
  const writer = new CompressedFileWriter(path, level, length);
  const size = Math.min(CHUNK, length);
  let buffer = Buffer.allocUnsafe(size);
  let other = Buffer.allocUnsafe(size);
  try {
    let compressing = Promise.resolve();
    for (let at = 0; at < length; [buffer, other] = [other, buffer]) {
      // This buffer's last compression was awaited before the other one's started.
      const target = length - at < buffer.length ? buffer.subarray(0, length - at) : buffer;
      const read = await source.readInto(target, position + at);
      if (read === 0) {
        throw new AgentStateError(
          `the file ended at byte ${position + at}, before byte ${position + length}`,
        );
      }
      const chunk = target.subarray(0, read);
      await compressing;
      compressing = writer.write(chunk);
      compressing.catch(() => undefined); // awaited on the next turn; a read failing first must not leave it unhandled
      at += read;
    }
    await compressing;
    return await writer.finish();
  } catch (error) {
    await writer.abort();
    throw error;
  }
}
