import { ByteCursor, NeedBytes } from '#core/redo/byte-cursor.ts';
import type { ByteSource } from '#core/redo/byte-source.ts';
import {
  decodeRecordHeader,
  RECORD_MAGIC,
  readRecordVersion,
  skipOpData,
  skipRecordHeader,
} from '#core/redo/decode-record.ts';
import { RedoFormatError, RedoHeaderError } from '#core/redo/errors.ts';
import { FILE_HEADER_SIZE, parseFileHeader, type RedoFileHeader } from '#core/redo/file-header.ts';
import { LazyRedoRecord, type ReadWindow } from '#core/redo/lazy-redo-record.ts';
import { isKnownOpCode, opName } from '#core/redo/op-codes.ts';
import type { RecordHeader, RedoRecord } from '#core/redo/redo-record.ts';
import { LATEST_VERSION } from '#core/redo/version.ts';

/** What the reader found, in file order. The last event is always `end` or `incomplete`. */
export type RedoEvent =
  | { kind: 'header'; header: RedoFileHeader }
  | { kind: 'record'; record: RedoRecord }
  /**
   * Bytes [offset, end) that could not be decoded. With `header`: a record whose header reads, of an op code
   * no known release writes or whose data does not decode (its end found at the next record magic).
   * Without: bytes that are no record at all.
   */
  | { kind: 'unparsed'; offset: number; end: number; reason: string; header?: RecordHeader }
  /** The bytes ended exactly after a record. */
  | { kind: 'end'; offset: number }
  /** The last record runs past the available bytes: read again from `offset` once the file has grown. */
  | { kind: 'incomplete'; offset: number; needed: number };

export interface ReadOptions {
  /** Absolute offset to start at: 0 (reads the file header), or a record boundary reached earlier. */
  from?: number;
  /** Absolute offset of the source's first byte (a segment cut from a file). Default 0. */
  origin?: number;
  /** Absolute end of the bytes to read. Default: the source's size when reading starts. */
  limit?: number;
  /**
   * true (default): the bytes will not grow, so a record cut short by a later valid record is corrupt
   * and is reported and skipped. false (a live file): a record that runs past the end is an incomplete tail.
   */
  final?: boolean;
  /** Copy out message and contact bodies up to this many bytes; larger ones are only located. Default 0. */
  captureBodies?: number;
  /** Read size. Default 1 MiB. */
  chunkSize?: number;
}

/**
 * Records per batch at most. A batch's records (and the headers decoded from them) live until the consumer
 * is done with it: a whole 1 MiB chunk's worth of small records outlived the young generation's scavenges,
 * were promoted, and V8 then allocated them in the old generation from the start (pretenuring), which halved
 * the rate of a consumer reading headers (and always did with a 1 MiB young generation, the agent's unit's).
 */
const BATCH_RECORDS = 256;

/**
 * Free bytes kept before every chunk read: the unread tail of the last window (a record cut by the chunk's
 * start) is copied there, so growing the window copies that tail and not the whole chunk after it.
 */
const HEADROOM = 64 * 1024;

const HEADER_PROBE = 14; // magic + version + op code: enough to judge a candidate record start

/**
 * Streams the records of a redo log (spec §2) from any offset, one event at a time. Never holds more than
 * one read chunk of records in memory, unless captured bodies are larger. A record's header and data are
 * decoded when first asked for (see `LazyRedoRecord`); the source's bytes must not change meanwhile.
 * Undecodable bytes are reported as `unparsed` ranges, never hidden; the reader always makes progress, so
 * it cannot loop.
 */
export async function* readRedo(source: ByteSource, options: ReadOptions = {}): AsyncGenerator<RedoEvent> {
  for await (const batch of readRedoBatches(source, options)) yield* batch;
}

/**
 * The same events as `readRedo`, a read chunk's worth at a time: for hot paths, where one async step per
 * record would cost more than decoding it.
 */
export async function* readRedoBatches(
  source: ByteSource,
  options: ReadOptions = {},
): AsyncGenerator<RedoEvent[]> {
  const origin = options.origin ?? 0;
  const limit = options.limit ?? origin + (await source.size());
  const final = options.final ?? true;
  const capture = options.captureBodies ?? 0;
  const chunkSize = options.chunkSize ?? 1024 * 1024;
  let pos = options.from ?? origin;
  if (pos < origin || pos > limit) {
    throw new RangeError(`start offset ${pos} is outside the bytes [${origin}, ${limit}]`);
  }
  const read = (at: number, length: number) => source.read(at - origin, length);
  /** Like `read`, into a buffer of its own with HEADROOM free bytes before what it returns. */
  const readChunk = async (at: number, length: number): Promise<Buffer> => {
    const buffer = Buffer.allocUnsafe(HEADROOM + length);
    const filled = await source.readInto(buffer.subarray(HEADROOM), at - origin);
    return buffer.subarray(HEADROOM, HEADROOM + filled);
  };

  if (pos === 0) {
    if (limit < FILE_HEADER_SIZE) {
      if (final) {
        throw new RedoHeaderError(
          `file has ${limit} bytes, fewer than the ${FILE_HEADER_SIZE}-byte header`,
          0,
        );
      }
      yield [{ kind: 'incomplete', offset: 0, needed: FILE_HEADER_SIZE }];
      return;
    }
    yield [{ kind: 'header', header: parseFileHeader(await read(0, FILE_HEADER_SIZE)) }];
    pos = FILE_HEADER_SIZE;
  } else if (pos < FILE_HEADER_SIZE) {
    throw new RangeError(`start offset ${pos} is inside the ${FILE_HEADER_SIZE}-byte file header`);
  }

  let win: Buffer = Buffer.alloc(0);
  let winBase = pos;
  // Records are measured (every field checked, nothing built) and decoded when their fields are asked for.
  const cursor = new ByteCursor(win, winBase, pos, capture, true);
  // The next chunk is read while this one is decoded (sequential reading is the common case).
  let ahead: { at: number; length: number; bytes: Promise<Buffer> } | undefined;
  /**
   * Bytes from `at`: `length` of them, or what a read-ahead that covers `at` holds (fewer: the caller reads
   * again when it needs more). A located body can end past the window, so `at` may lie inside a read-ahead.
   */
  const readAhead = async (at: number, length: number): Promise<Buffer> => {
    const prefetched = ahead;
    ahead = undefined;
    let bytes: Buffer | undefined;
    if (prefetched && at >= prefetched.at && at < prefetched.at + prefetched.length) {
      const chunk = await prefetched.bytes;
      if (at - prefetched.at < chunk.length) bytes = chunk.subarray(at - prefetched.at);
    }
    bytes ??= await readChunk(at, length);
    const next = at + bytes.length;
    if (next < limit) {
      const nextLength = Math.min(chunkSize, limit - next);
      ahead = { at: next, length: nextLength, bytes: readChunk(next, nextLength) };
      ahead.bytes.catch(() => undefined); // an unused read-ahead must not become an unhandled rejection
    }
    return bytes;
  };
  let batch: RedoEvent[] = [];
  const windowOf = (bytes: Buffer, base: number): ReadWindow => ({
    bytes,
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    base,
    capture,
  });
  let window = windowOf(win, winBase);

  /** Finds the next plausible record start in [from, limit), reading chunk by chunk; −1 if none. */
  const findRecordStart = async (from: number): Promise<number> => {
    for (let at = from; at + HEADER_PROBE <= limit; ) {
      const bytes = await read(at, Math.min(chunkSize, limit - at));
      for (
        let i = bytes.indexOf(RECORD_MAGIC, 0, 'latin1');
        i >= 0;
        i = bytes.indexOf(RECORD_MAGIC, i + 1, 'latin1')
      ) {
        if (i + HEADER_PROBE > bytes.length) break;
        if (plausibleHeader(bytes, i)) return at + i;
      }
      if (at + bytes.length >= limit) break;
      at += Math.max(1, bytes.length - HEADER_PROBE + 1);
    }
    return -1;
  };

  // A header that reads goes with whatever is wrong with the data (decoded only then: a rare path).
  let headerRead = false;
  const headerOf = () => (headerRead ? decodeRecordHeader(new ByteCursor(win, winBase, pos, 0)) : undefined);

  while (true) {
    if (pos >= limit) {
      batch.push({ kind: 'end', offset: pos });
      yield batch;
      return;
    }
    if (pos < winBase || pos > winBase + win.length) {
      win = Buffer.alloc(0);
      winBase = pos;
    }
    let outcome:
      | RedoEvent
      | { kind: 'beyond'; needed: number }
      | { kind: 'unmodelled'; header: RecordHeader; at: number };
    headerRead = false;
    try {
      cursor.reset(win, winBase, pos);
      if (window.bytes !== win) window = windowOf(win, winBase);
      const version = readRecordVersion(cursor);
      const opCode = skipRecordHeader(cursor, version);
      headerRead = true;
      if (!skipOpData(cursor, version, opCode)) {
        outcome = { kind: 'unmodelled', header: headerOf() as RecordHeader, at: cursor.pos };
      } else if (cursor.pos > limit) {
        outcome = { kind: 'beyond', needed: cursor.pos };
      } else {
        outcome = new LazyRedoRecord(window, pos, cursor.pos - pos, version);
      }
    } catch (error) {
      if (error instanceof NeedBytes) {
        if (error.upTo <= limit) {
          if (batch.length > 0) {
            yield batch;
            batch = [];
          }
          // Grow the window (dropping what lies before this record) and decode the record again.
          const winEnd = winBase + win.length;
          const newEnd = Math.min(limit, Math.max(error.upTo, winEnd + chunkSize));
          win = joined(win.subarray(pos - winBase), await readAhead(winEnd, newEnd - winEnd));
          winBase = pos;
          continue;
        }
        outcome = { kind: 'beyond', needed: error.upTo };
      } else if (error instanceof RedoFormatError) {
        const next = await findRecordStart(pos + 1);
        const end = next >= 0 ? next : final ? limit : Math.max(pos + 1, limit - HEADER_PROBE + 1);
        const header = headerOf();
        const reason = header ? `${opName(header.opCode)} does not decode: ${error.message}` : error.message;
        batch.push({ kind: 'unparsed', offset: pos, end, reason, ...(header ? { header } : {}) });
        pos = end;
        continue;
      } else {
        throw error;
      }
    }

    if (outcome.kind === 'record') {
      batch.push(outcome);
      pos = outcome.record.offset + outcome.record.length;
      if (batch.length >= BATCH_RECORDS) {
        yield batch;
        batch = [];
      }
    } else if (outcome.kind === 'unmodelled') {
      const name = opName(outcome.header.opCode);
      const next = await findRecordStart(outcome.at);
      if (next >= 0) {
        const reason = `op ${name} is written by no release this reader knows; its end was taken from the next record's magic`;
        batch.push({ kind: 'unparsed', offset: pos, end: next, reason, header: outcome.header });
        pos = next;
      } else if (final) {
        const reason = `op ${name} is written by no release this reader knows; it is the last record, taken to run to the end`;
        batch.push({ kind: 'unparsed', offset: pos, end: limit, reason, header: outcome.header });
        pos = limit;
      } else {
        batch.push({ kind: 'incomplete', offset: pos, needed: limit + 1 });
        yield batch;
        return;
      }
    } else if (outcome.kind === 'beyond') {
      // A writer appends, so only the last record can be torn; a later valid record means corruption.
      const next = final ? await findRecordStart(pos + 1) : -1;
      if (next < 0) {
        batch.push({ kind: 'incomplete', offset: pos, needed: outcome.needed });
        yield batch;
        return;
      }
      const reason = `record claims to end at ${outcome.needed}, past the next record at ${next} (corrupt length)`;
      const header = headerOf();
      batch.push({ kind: 'unparsed', offset: pos, end: next, reason, ...(header ? { header } : {}) });
      pos = next;
    }
  }
}

/**
 * `tail` then `more` in one buffer. `more` comes from `readChunk`: the bytes before it in its memory are
 * free (HEADROOM, and what a read-ahead held before the offset asked for), so a tail that fits is copied
 * there and the chunk stays where it was read.
 */
function joined(tail: Buffer, more: Buffer): Buffer {
  if (tail.length === 0) return more;
  if (tail.length > more.byteOffset) return Buffer.concat([tail, more]);
  const both = Buffer.from(more.buffer, more.byteOffset - tail.length, tail.length + more.length);
  tail.copy(both, 0);
  return both;
}

/** Magic, a known version and a known op code: good enough to resume at after corruption. */
function plausibleHeader(bytes: Buffer, at: number): boolean {
  const major = bytes.readInt16BE(at + 6);
  const minor = bytes.readInt16BE(at + 8);
  const opCode = bytes.readInt32BE(at + 10);
  return (
    major === LATEST_VERSION.major && minor >= 0 && minor <= LATEST_VERSION.minor && isKnownOpCode(opCode)
  );
}
