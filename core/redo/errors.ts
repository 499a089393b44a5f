import { OffsiteError } from '#core/errors.ts';

/** Bytes that are not a redo log where one was expected; `offset` is the absolute file position. */
export class RedoFormatError extends OffsiteError {
  override readonly name: string = 'RedoFormatError';
  readonly offset: number;
  constructor(message: string, offset: number, options?: { cause?: unknown }) {
    super(`${message} (at byte ${offset})`, options);
    this.offset = offset;
  }
}

/** The 512-byte file header is missing or invalid: the file is not a redo log we can read. */
export class RedoHeaderError extends RedoFormatError {
  override readonly name: string = 'RedoHeaderError';
}

/** A record that cannot be encoded (writer side: simulator and tests). */
export class RedoEncodeError extends OffsiteError {
  override readonly name: string = 'RedoEncodeError';
}
