import { ByteCursor } from '#core/redo/byte-cursor.ts';
import { decodeOpData, decodeRecordHeader } from '#core/redo/decode-record.ts';
import { RedoFormatError } from '#core/redo/errors.ts';
import type { OpData, RecordHeader, RedoRecord } from '#core/redo/redo-record.ts';

/**
 * A record the reader has found and checked field by field but not decoded: its header and data are
 * decoded from the read buffer the first time they are asked for. Shipping reads headers only, and
 * strings, lists and objects are most of what a decode costs. Every check ran when the record was found,
 * so decoding it later cannot fail. Holds the read buffer until its data has been decoded.
 */
export class LazyRedoRecord implements RedoRecord {
  readonly offset: number;
  readonly length: number;
  #bytes: Buffer | undefined;
  readonly #base: number;
  readonly #capture: number;
  #header: RecordHeader | undefined;
  #data: OpData | undefined;

  /** `bytes` holds the record from absolute offset `base` on; bodies up to `capture` bytes are copied out. */
  constructor(bytes: Buffer, base: number, offset: number, length: number, capture: number) {
    this.#bytes = bytes;
    this.#base = base;
    this.offset = offset;
    this.length = length;
    this.#capture = capture;
  }

  get header(): RecordHeader {
    this.#header ??= decodeRecordHeader(this.#cursor());
    return this.#header;
  }

  get data(): OpData {
    if (this.#data === undefined) {
      const cursor = this.#cursor();
      const header = decodeRecordHeader(cursor);
      this.#header ??= header;
      const data = decodeOpData(cursor, header);
      // The reader makes a record only of an op it could measure, so this is a broken invariant.
      if (data === undefined) throw new RedoFormatError('op has no layout', this.offset);
      this.#data = data;
      this.#bytes = undefined;
    }
    return this.#data;
  }

  /** The decoded record as a plain object (what `JSON.stringify` and test comparisons see). */
  toJSON(): RedoRecord {
    return { offset: this.offset, length: this.length, header: this.header, data: this.data };
  }

  #cursor(): ByteCursor {
    // Only reached before the data is decoded (the header is cached with it), so the bytes are still held.
    return new ByteCursor(this.#bytes as Buffer, this.#base, this.offset, this.#capture);
  }
}
