import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createZstdCompress, constants as zlib } from 'node:zlib';
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
 * Compresses `length` bytes of `source` from `position` with zstd into a new file `path`, digesting the
 * plaintext on the way. Two buffers of at most 1 MiB take turns (one is read while the other is compressed on
 * the thread pool), so an encoding holds about 2.5 MiB whatever the range's size, and leaves no range-sized
 * buffer for the collector: a segment read whole, plus its compressed copy, is what kept the agent's
 * resident memory high. The frame states its content size, as a one-shot compression's does. A range that
 * ends early is an error and leaves no file.
 */
export async function compressToFile(
  source: ByteSource,
  position: number,
  length: number,
  level: number,
  path: string,
): Promise<CompressedFile> {
  const zstd = createZstdCompress({
    chunkSize: OUTPUT_CHUNK,
    pledgedSrcSize: length,
    params: { [zlib.ZSTD_c_compressionLevel]: level },
  });
  let storedSize = 0;
  zstd.on('data', (chunk: Buffer) => {
    storedSize += chunk.length;
  });
  const written = pipeline(zstd, createWriteStream(path, { mode: 0o600 }));
  written.catch(() => undefined); // awaited below; a failure meanwhile is taken there
  const hash = createHash('sha256');
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
      hash.update(chunk);
      await compressing;
      compressing = write(zstd, chunk);
      compressing.catch(() => undefined); // awaited on the next turn; a read failing first must not leave it unhandled
      at += read;
    }
    await compressing;
    zstd.end();
    await written;
  } catch (error) {
    zstd.destroy();
    await written.catch(() => undefined);
    await rm(path, { force: true });
    throw error;
  }
  return { size: length, sha256: hash.digest('hex'), storedSize };
}

/** Resolves once the stream has consumed `chunk` (zlib is done with its bytes: the buffer may be reused). */
function write(stream: NodeJS.WritableStream, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(chunk, (error) => (error ? reject(error) : resolve()));
  });
}
