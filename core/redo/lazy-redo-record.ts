import { ByteCursor } from '#core/redo/byte-cursor.ts';
import {
  checkedRecordHeader,
  decodeHeaderAfterVersion,
  decodeOpData,
  OP_CODE_OFFSET,
} from '#core/redo/decode-record.ts';
import { RedoFormatError } from '#core/redo/errors.ts';
import type { OpData, RecordHeader, RedoRecord } from '#core/redo/redo-record.ts';
import type { RedoVersion } from '#core/redo/version.ts';

/** A read buffer shared by the records found in it: `bytes` from absolute offset `base`. */
export interface ReadWindow {
  readonly bytes: Buffer;
  /** The same bytes, for single loads. */
  readonly view: DataView;
  readonly base: number;
  /** Bodies up to this many bytes are copied out when the data is decoded. */
  readonly capture: number;
}

/**
 * A record the reader has found and checked field by field but not decoded: its header and data are
 * decoded from the read buffer the first time they are asked for. Shipping reads headers only, and
 * strings, lists and objects are most of what a decode costs. Every check ran when the record was found,
 * so decoding it later cannot fail. Holds the read buffer until its data has been decoded. It is its own
 * `record` event (`kind`, `record`): the reader makes one object per record, not two.
 */
export class LazyRedoRecord implements RedoRecord {
  readonly kind = 'record' as const;
  readonly offset: number;
  readonly length: number;
  #window: ReadWindow | undefined;
  /** Read when the record was found: the header is decoded from its op code on. */
  readonly #version: RedoVersion;
  #header: RecordHeader | undefined;
  #data: OpData | undefined;

  constructor(window: ReadWindow, offset: number, length: number, version: RedoVersion) {
    this.#window = window;
    this.#version = version;
    this.offset = offset;
    this.length = length;
  }

  get record(): RedoRecord {
    return this;
  }

  get header(): RecordHeader {
    if (this.#header === undefined) {
      const window = this.#window as ReadWindow;
      this.#header = checkedRecordHeader(window.view, this.offset - window.base, this.#version);
    }
    return this.#header;
  }

  get data(): OpData {
    if (this.#data === undefined) {
      const cursor = this.#cursor();
      const header = decodeHeaderAfterVersion(cursor, this.#version);
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
    return new ByteCursor(window.bytes, window.base, this.offset + OP_CODE_OFFSET, window.capture);
  }
}
