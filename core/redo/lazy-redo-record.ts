import { ByteCursor } from '#core/redo/byte-cursor.ts';
import { decodeOpData, decodeRecordHeader } from '#core/redo/decode-record.ts';
import { RedoFormatError } from '#core/redo/errors.ts';
import type { OpData, RecordHeader, RedoRecord } from '#core/redo/redo-record.ts';

/** A read buffer shared by the records found in it: `bytes` from absolute offset `base`. */
export interface ReadWindow {
  readonly bytes: Buffer;
  readonly base: number;
  /** Bodies up to this many bytes are copied out when the data is decoded. */
  readonly capture: number;
}

/** Headers are decoded synchronously, one at a time: one cursor serves them all. */
const HEADER_CURSOR = new ByteCursor(Buffer.alloc(0), 0, 0, 0);

/**
 * A record the reader has found and checked field by field but not decoded: its header and data are
 * decoded from the read buffer the first time they are asked for. Shipping reads headers only, and
 * strings, lists and objects are most of what a decode costs. Every check ran when the record was found,
 * so decoding it later cannot fail. Holds the read buffer until its data has been decoded.
 */
export class LazyRedoRecord implements RedoRecord {
  readonly offset: number;
  readonly length: number;
  #window: ReadWindow | undefined;
  #header: RecordHeader | undefined;
  #data: OpData | undefined;

  constructor(window: ReadWindow, offset: number, length: number) {
    this.#window = window;
    this.offset = offset;
    this.length = length;
  }

  get header(): RecordHeader {
    if (this.#header === undefined) {
      const window = this.#window as ReadWindow;
      HEADER_CURSOR.reset(window.bytes, window.base, this.offset);
      this.#header = decodeRecordHeader(HEADER_CURSOR);
    }
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
      this.#window = undefined;
    }
    return this.#data;
  }

  /** The decoded record as a plain object (what `JSON.stringify` and test comparisons see). */
  toJSON(): RedoRecord {
    return { offset: this.offset, length: this.length, header: this.header, data: this.data };
  }

  #cursor(): ByteCursor {
    // Only reached before the data is decoded (the header is cached with it), so the window is still held.
    const window = this.#window as ReadWindow;
    return new ByteCursor(window.bytes, window.base, this.offset, window.capture);
  }
}
