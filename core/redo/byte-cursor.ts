import { RedoFormatError } from '#core/redo/errors.ts';

/** Longest string a record may carry (spec §2); longer means corrupt. */
export const MAX_STRING_BYTES = 32 * 1024 * 1024;
/** Longest id or name list we accept in one record; longer means corrupt (bounds memory on bad input). */
export const MAX_LIST_LENGTH = 4 * 1024 * 1024;

/**
 * Thrown (not an Error: cheap, never escapes the reader) when a field runs past the bytes in the window.
 * `upTo` is the absolute offset the window must reach for the field to be read.
 */
export class NeedBytes {
  readonly upTo: number;
  constructor(upTo: number) {
    this.upTo = upTo;
  }
}

/** A skipped raw region (message or contact body) with its absolute position; `bytes` when captured. */
export interface BodyRef {
  offset: number;
  length: number;
  bytes?: Buffer;
}

const NO_STRINGS: readonly (string | null)[] = Object.freeze([]);
const NO_NUMBERS: readonly number[] = Object.freeze([]);
const SKIPPED_BODY: Readonly<BodyRef> = Object.freeze({ offset: 0, length: 0 });

/**
 * Big-endian reads over a window of a file; positions are absolute file offsets.
 *
 * A `skipping` cursor checks every field exactly as a reading one does and moves past it, but returns
 * placeholders instead of values (strings are not decoded, lists and bodies not built): the reader finds
 * each record's end this way and decodes its fields only when they are asked for.
 */
export class ByteCursor {
  private buf: Buffer;
  /** The same bytes as `buf`: DataView reads compile to single loads, Buffer's read methods do not. */
  private view: DataView;
  private base: number;
  /** Absolute offset of the next byte to read. */
  pos: number;
  /** Bodies up to this many bytes are copied out; larger ones are only located. */
  private readonly captureLimit: number;
  /** Measuring only: every check runs, and placeholders stand for the values. */
  readonly skipping: boolean;

  constructor(buf: Buffer, base: number, pos: number, captureLimit: number, skipping = false) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.base = base;
    this.pos = pos;
    this.captureLimit = captureLimit;
    this.skipping = skipping;
  }

  /** Points the cursor at another window (reused across records: one cursor per read, not per record). */
  reset(buf: Buffer, base: number, pos: number): void {
    if (buf !== this.buf) {
      this.buf = buf;
      this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    this.base = base;
    this.pos = pos;
  }

  skip(n: number): void {
    this.take(n);
  }

  private take(n: number): number {
    const at = this.pos - this.base;
    if (at + n > this.buf.length) throw new NeedBytes(this.pos + n);
    this.pos += n;
    return at;
  }

  bool(): boolean {
    const value = this.buf[this.take(1)];
    if (value !== 0 && value !== 1) throw new RedoFormatError(`boolean byte is ${value}`, this.pos - 1);
    return value === 1;
  }

  i8(): number {
    return this.view.getInt8(this.take(1));
  }

  i16(): number {
    return this.view.getInt16(this.take(2));
  }

  i32(): number {
    return this.view.getInt32(this.take(4));
  }

  /** An i64 that must fit a JS number (ids, sizes, times). Two i32 halves: BigInt is slow on this path. */
  i64(): number {
    const at = this.take(8);
    const value = this.view.getInt32(at) * 0x1_0000_0000 + this.view.getUint32(at + 4);
    // Past ±(2^53 − 1) the sum rounds, but never back into the safe range, so this check is exact.
    if (value > Number.MAX_SAFE_INTEGER || value < Number.MIN_SAFE_INTEGER) {
      throw new RedoFormatError(
        `64-bit value ${this.buf.readBigInt64BE(at)} is out of range`,
        this.base + at,
      );
    }
    return value;
  }

  /** An i64 kept exactly (bitmasks). */
  i64Exact(): bigint {
    const at = this.take(8);
    return this.skipping ? 0n : this.buf.readBigInt64BE(at);
  }

  /** i32 byte length, then UTF-8; −1 is null. */
  str(): string | null {
    const start = this.pos;
    const length = this.i32();
    if (length === -1) return null;
    if (length < 0 || length > MAX_STRING_BYTES) {
      throw new RedoFormatError(`string length ${length} is invalid`, start);
    }
    const at = this.take(length);
    return this.skipping ? '' : this.buf.toString('utf8', at, at + length);
  }

  /** i32 count (−1 = null), then that many strings. */
  strArray(): (string | null)[] | null {
    const start = this.pos;
    const count = this.i32();
    if (count === -1) return null;
    const n = this.count(count, start);
    if (this.skipping) {
      for (let i = 0; i < n; i++) this.str();
      return NO_STRINGS as (string | null)[];
    }
    const out: (string | null)[] = [];
    for (let i = 0; i < n; i++) out.push(this.str());
    return out;
  }

  /** i32 count, then that many i32. */
  i32Array(): number[] {
    const start = this.pos;
    const n = this.count(this.i32(), start);
    const at = this.take(n * 4);
    if (this.skipping) return NO_NUMBERS as number[];
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = this.view.getInt32(at + i * 4);
    return out;
  }

  /** Validates a list length read at `at`. */
  count(value: number, at: number): number {
    if (value < 0 || value > MAX_LIST_LENGTH)
      throw new RedoFormatError(`list length ${value} is invalid`, at);
    return value;
  }

  /** A raw region of `length` bytes: copied when small enough, otherwise skipped and only located. */
  body(length: number, at: number): BodyRef {
    if (length < 0) throw new RedoFormatError(`data length ${length} is invalid`, at);
    const offset = this.pos;
    if (length <= this.captureLimit) {
      // Skipping or not, a body to be copied must lie in the window: it is copied from there later.
      const from = this.take(length);
      if (this.skipping) return SKIPPED_BODY as BodyRef;
      return { offset, length, bytes: Buffer.from(this.buf.subarray(from, from + length)) };
    }
    this.pos += length;
    return this.skipping ? (SKIPPED_BODY as BodyRef) : { offset, length };
  }
}
