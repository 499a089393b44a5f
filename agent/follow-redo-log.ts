import { type FileHandle, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { handleSource } from '#core/redo/byte-source.ts';
import { FILE_HEADER_SIZE, parseFileHeader, type RedoFileHeader } from '#core/redo/file-header.ts';
import { readRedo } from '#core/redo/redo-reader.ts';
import type { RecordHeader, RedoRecord } from '#core/redo/redo-record.ts';

export type FollowEvent =
  | { kind: 'file'; sequence: bigint; header: RedoFileHeader }
  | { kind: 'record'; sequence: bigint; record: RedoRecord }
  | { kind: 'unparsed'; sequence: bigint; offset: number; end: number; reason: string; header?: RecordHeader }
  /** Files that were rolled over and deleted before they could be opened: their records are lost here. */
  | { kind: 'gap'; fromSequence: bigint; toSequence: bigint }
  /** The file of `sequence` was rolled over and has been read to its end. */
  | { kind: 'closed'; sequence: bigint; size: number; torn: boolean };

export interface FollowOptions {
  pollMs?: number;
  signal?: AbortSignal;
  captureBodies?: number;
}

/**
 * Follows `<redologDir>/redo.log` as the server writes it: reads what is there, waits for more, and when
 * the server rolls over (a new file takes the name), reads the old file to its end through the handle
 * still open (it works even when the old file was deleted), then continues in the new one.
 */
export async function* followRedoLog(
  redologDir: string,
  options: FollowOptions = {},
): AsyncGenerator<FollowEvent> {
  const pollMs = options.pollMs ?? 200;
  const livePath = join(redologDir, 'redo.log');
  let previous: bigint | undefined;
  while (!options.signal?.aborted) {
    const handle = await openWhenPresent(livePath, pollMs, options.signal);
    if (!handle) return;
    const source = handleSource(handle);
    try {
      const inode = (await handle.stat()).ino;
      let header: RedoFileHeader | undefined;
      while (!header) {
        if ((await handle.stat()).size >= FILE_HEADER_SIZE) {
          header = parseFileHeader(await source.read(0, FILE_HEADER_SIZE));
        } else await sleep(pollMs);
        if (options.signal?.aborted) return;
      }
      const sequence = header.sequence;
      if (previous !== undefined && sequence > previous + 1n) {
        yield { kind: 'gap', fromSequence: previous + 1n, toSequence: sequence - 1n };
      }
      previous = sequence;
      yield { kind: 'file', sequence, header };
      let pos = FILE_HEADER_SIZE;
      let rolled = false;
      while (true) {
        // Read whatever is there; a live file's last record may still be incomplete.
        const final = rolled;
        let torn = false;
        for await (const e of readRedo(source, {
          from: pos,
          final,
          captureBodies: options.captureBodies ?? 0,
        })) {
          if (e.kind === 'record') {
            yield { kind: 'record', sequence, record: e.record };
            pos = e.record.offset + e.record.length;
          } else if (e.kind === 'unparsed') {
            yield {
              kind: 'unparsed',
              sequence,
              offset: e.offset,
              end: e.end,
              reason: e.reason,
              ...(e.header ? { header: e.header } : {}),
            };
            pos = e.end;
          } else if (e.kind === 'incomplete') {
            torn = true;
          }
        }
        if (final) {
          yield { kind: 'closed', sequence, size: (await handle.stat()).size, torn };
          break;
        }
        if (options.signal?.aborted) return;
        rolled = await replaced(livePath, inode);
        if (!rolled) await sleep(pollMs);
      }
    } finally {
      await source.close();
    }
  }
}

async function openWhenPresent(
  path: string,
  pollMs: number,
  signal?: AbortSignal,
): Promise<FileHandle | undefined> {
  while (!signal?.aborted) {
    try {
      return await open(path, 'r');
    } catch (error) {
      // Between the old file's removal and the new file's rename there is briefly no redo.log.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await sleep(pollMs);
    }
  }
  return undefined;
}

/** Whether the name now points at another file (a rollover happened), or at nothing yet. */
async function replaced(path: string, inode: number): Promise<boolean> {
  try {
    return (await stat(path)).ino !== inode;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
}
