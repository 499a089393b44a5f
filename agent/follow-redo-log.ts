import { access, constants, type FileHandle, open, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DirectoryChanges } from '#agent/directory-changes.ts';
import { RedoLogError, RedoSequenceError } from '#agent/errors.ts';
import { type ByteSource, handleSource } from '#core/redo/byte-source.ts';
import { RedoHeaderError } from '#core/redo/errors.ts';
import { FILE_HEADER_SIZE, parseFileHeader, type RedoFileHeader } from '#core/redo/file-header.ts';
import { listRedoLogFiles } from '#core/redo/list-redo-log-files.ts';
import { archiveSequence } from '#core/redo/redo-file-names.ts';
import { readRedoBatches } from '#core/redo/redo-reader.ts';
import type { RecordHeader, RedoRecord } from '#core/redo/redo-record.ts';

/**
 * Read size of the follower. A read chunk lives while its records are handled; at 1 MiB it outlived the young
 * generation (1 MiB in the agent's unit) and was freed only by a full collection, so up to ~64 MiB of
 * chunks already read waited for one: the agent's peak RSS shipping 512 MiB was 154–167 MiB at 1 MiB reads
 * and 133–147 at 256 KiB, for ~10% of its catch-up speed (more reads through the thread pool).
 */
const READ_CHUNK = 256 * 1024;

/** A byte position in the log: an offset in the file of a sequence number. */
export interface LogPosition {
  sequence: bigint;
  offset: number;
}

export type FollowEvent =
  /**
   * A file is being read from `from` (0: its header too). `source` reads its bytes while the consumer
   * handles this file's events; it is closed after the file's `closed` event.
   */
  | {
      kind: 'file';
      sequence: bigint;
      header: RedoFileHeader;
      source: ByteSource;
      from: number;
      archived: boolean;
    }
  | { kind: 'record'; sequence: bigint; record: RedoRecord }
  | { kind: 'unparsed'; sequence: bigint; offset: number; end: number; reason: string; header?: RecordHeader }
  /** The live file has been read up to `offset` and has nothing more for now. */
  | { kind: 'idle'; sequence: bigint; offset: number }
  /** Files that were rolled over and deleted before they could be read: their records are lost here. */
  | { kind: 'gap'; fromSequence: bigint; toSequence: bigint }
  /** The file of `sequence` was rolled over and has been read to its end (`size`); `torn`: an incomplete tail. */
  | { kind: 'closed'; sequence: bigint; size: number; torn: boolean };

export interface FollowOptions {
  pollMs?: number;
  signal?: AbortSignal;
  captureBodies?: number;
  /**
   * Where to start: a position reached before (resumes in archive/ if the server rolled over meanwhile),
   * 'oldest' (the oldest archived file, else the live file) or 'live' (the live file's start). Default 'live'.
   */
  from?: LogPosition | 'oldest' | 'live';
  /** Stop once the live file has been read to its current end (cron-style shipping). */
  once?: boolean;
  /**
   * When the consumer wants an `idle` event even if nothing is written (a segment due to be cut), as a
   * time in ms; the follower otherwise wakes on a change in the directory, or after `pollMs`.
   */
  wakeAt?: () => number | undefined;
  /** A `wake` event dispatched on it ends the follower's wait at once, with an `idle` event. */
  wake?: EventTarget;
}

/**
 * Follows `<redologDir>/redo.log` as the server writes it: reads what is there, waits for more, and when
 * the server rolls over (a new file takes the name), reads the old file to its end through the handle
 * still open (it works even when the old file was deleted), then continues in the new one. Files the
 * server rolled over while nobody was reading are read from archive/, or reported as a gap.
 */
export async function* followRedoLog(
  redologDir: string,
  options: FollowOptions = {},
): AsyncGenerator<FollowEvent> {
  const pollMs = options.pollMs ?? 200;
  const livePath = join(redologDir, 'redo.log');
  await checkRedologDir(redologDir);
  let expected = startPosition(redologDir, options.from ?? 'live');
  const changes = options.once ? undefined : new DirectoryChanges(redologDir);
  const nudge = () => changes?.nudge();
  options.wake?.addEventListener('wake', nudge);
  try {
    yield* followFiles();
  } finally {
    options.wake?.removeEventListener('wake', nudge);
    changes?.close();
  }

  async function* followFiles(): AsyncGenerator<FollowEvent> {
    while (!options.signal?.aborted) {
      const handle = await openWhenPresent(livePath, pollMs, options.signal, options.once);
      if (!handle) return;
      const source = handleSource(handle);
      try {
        const inode = (await handle.stat()).ino;
        const header = await waitForHeader(livePath, handle, source, pollMs, options.signal);
        if (!header) return;
        const sequence = header.sequence;
        let from = 0;
        if (expected !== undefined) {
          if (sequence < expected.sequence) {
            throw new RedoSequenceError(
              `redo.log has sequence ${sequence}, behind the position already shipped (sequence ${expected.sequence}): ` +
                'the server’s redo log was reset or replaced; if that is intended, start the agent with a new state directory',
            );
          }
          if (sequence > expected.sequence) yield* catchUp(redologDir, expected, sequence, options);
          else from = expected.offset;
        }
        if (from > (await source.size())) {
          throw new RedoSequenceError(
            `redo.log (sequence ${sequence}) has ${await source.size()} bytes, fewer than the ${from} already shipped: ` +
              'the file was truncated or replaced; start the agent with a new state directory if that is intended',
          );
        }
        yield { kind: 'file', sequence, header, source, from, archived: false };
        let pos = from;
        let rolled = false;
        while (true) {
          // Read whatever is there; a live file's last record may still be incomplete.
          const final = rolled;
          let torn = false;
          for await (const batch of readRedoBatches(source, {
            from: pos,
            final,
            captureBodies: options.captureBodies ?? 0,
            chunkSize: READ_CHUNK,
          })) {
            for (const e of batch) {
              if (e.kind === 'record') {
                yield { kind: 'record', sequence, record: e.record };
                pos = e.record.offset + e.record.length;
              } else if (e.kind === 'unparsed') {
                yield unparsedEvent(sequence, e);
                pos = e.end;
              } else if (e.kind === 'incomplete') torn = true;
            }
          }
          if (final) {
            yield { kind: 'closed', sequence, size: await source.size(), torn };
            expected = { sequence: sequence + 1n, offset: 0 };
            break;
          }
          if (options.signal?.aborted) return;
          rolled = await replaced(livePath, inode);
          if (!rolled) {
            yield { kind: 'idle', sequence, offset: pos };
            if (options.once) return;
            const due = options.wakeAt?.();
            await changes?.wait(
              due === undefined ? pollMs : Math.min(pollMs, due - Date.now()),
              options.signal,
            );
          }
        }
      } finally {
        await source.close();
      }
    }
  }
}

/** Reads the files between `expected` and the live `liveSequence` from archive/; missing ones are a gap. */
async function* catchUp(
  redologDir: string,
  expected: LogPosition,
  liveSequence: bigint,
  options: FollowOptions,
): AsyncGenerator<FollowEvent> {
  const archived = archivedFiles(redologDir);
  let missingFrom: bigint | undefined;
  for (let sequence = expected.sequence; sequence < liveSequence; sequence++) {
    const path = archived.get(sequence);
    if (!path) {
      missingFrom ??= sequence;
      continue;
    }
    if (missingFrom !== undefined)
      yield { kind: 'gap', fromSequence: missingFrom, toSequence: sequence - 1n };
    missingFrom = undefined;
    yield* readArchived(path, sequence, sequence === expected.sequence ? expected.offset : 0, options);
  }
  if (missingFrom !== undefined)
    yield { kind: 'gap', fromSequence: missingFrom, toSequence: liveSequence - 1n };
}

async function* readArchived(
  path: string,
  sequence: bigint,
  from: number,
  options: FollowOptions,
): AsyncGenerator<FollowEvent> {
  const source = handleSource(await open(path, 'r'));
  try {
    const header = readHeader(path, await source.read(0, FILE_HEADER_SIZE));
    if (header.sequence !== sequence) {
      throw new RedoSequenceError(
        `${path} is named sequence ${sequence} but its header says ${header.sequence}`,
      );
    }
    yield { kind: 'file', sequence, header, source, from, archived: true };
    let torn = false;
    const reading = { from, captureBodies: options.captureBodies ?? 0, chunkSize: READ_CHUNK };
    for await (const batch of readRedoBatches(source, reading)) {
      for (const e of batch) {
        if (e.kind === 'record') yield { kind: 'record', sequence, record: e.record };
        else if (e.kind === 'unparsed') yield unparsedEvent(sequence, e);
        else if (e.kind === 'incomplete') torn = true;
      }
    }
    yield { kind: 'closed', sequence, size: await source.size(), torn };
  } finally {
    await source.close();
  }
}

function unparsedEvent(
  sequence: bigint,
  e: { offset: number; end: number; reason: string; header?: RecordHeader },
): FollowEvent {
  return {
    kind: 'unparsed',
    sequence,
    offset: e.offset,
    end: e.end,
    reason: e.reason,
    ...(e.header ? { header: e.header } : {}),
  };
}

function startPosition(redologDir: string, from: FollowOptions['from'] & {}): LogPosition | undefined {
  if (from === 'live') return undefined;
  if (from !== 'oldest') return from;
  const oldest = [...archivedFiles(redologDir).keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))[0];
  return oldest === undefined ? undefined : { sequence: oldest, offset: 0 };
}

function archivedFiles(redologDir: string): Map<bigint, string> {
  const files = new Map<bigint, string>();
  for (const path of listRedoLogFiles(redologDir)) {
    const sequence = archiveSequence(basename(path));
    if (sequence !== undefined) files.set(sequence, path);
  }
  return files;
}

/** A missing or unreadable directory is a configuration mistake, reported before anything is read. */
async function checkRedologDir(dir: string): Promise<void> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new RedoLogError(
        `no redo log directory ${dir}: this does not look like a Zimbra mailbox host; set zimbraHome (usually /opt/zimbra), or redologDir if the log lives elsewhere`,
        { cause: error },
      );
    }
    throw new RedoLogError(`cannot read the redo log directory ${dir}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!info.isDirectory())
    throw new RedoLogError(`${dir} is not a directory; redologDir must name the redolog directory`);
  try {
    await access(dir, constants.R_OK | constants.X_OK);
  } catch (error) {
    throw new RedoLogError(
      `cannot read the redo log directory ${dir} (permission denied): run the agent as the zimbra user or grant it read access`,
      { cause: error },
    );
  }
}

function readHeader(path: string, bytes: Buffer): RedoFileHeader {
  try {
    return parseFileHeader(bytes);
  } catch (error) {
    if (error instanceof RedoHeaderError) {
      throw new RedoLogError(`${path} is not a redo log this agent can ship: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}

async function waitForHeader(
  path: string,
  handle: FileHandle,
  source: ByteSource,
  pollMs: number,
  signal?: AbortSignal,
): Promise<RedoFileHeader | undefined> {
  while (!signal?.aborted) {
    if ((await handle.stat()).size >= FILE_HEADER_SIZE)
      return readHeader(path, await source.read(0, FILE_HEADER_SIZE));
    await sleep(pollMs);
  }
  return undefined;
}

async function openWhenPresent(
  path: string,
  pollMs: number,
  signal?: AbortSignal,
  once?: boolean,
): Promise<FileHandle | undefined> {
  // Between the old file's removal and the new file's rename there is briefly no redo.log; one-shot
  // shipping waits a few seconds for it, the daemon as long as it takes.
  const deadline = once ? Date.now() + 5000 : Number.POSITIVE_INFINITY;
  while (!signal?.aborted) {
    try {
      return await open(path, 'r');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EACCES') {
        throw new RedoLogError(`cannot read ${path} (permission denied): run the agent as the zimbra user`, {
          cause: error,
        });
      }
      if (code !== 'ENOENT') throw error;
      if (Date.now() > deadline) {
        throw new RedoLogError(
          `no ${path}: the mail server has not started a redo log there (is redo logging enabled, and zimbraHome right?)`,
          { cause: error },
        );
      }
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
