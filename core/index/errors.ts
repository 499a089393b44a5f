import { OffsiteError } from '#core/errors.ts';

/** A redo record's content is wrong (a body that does not match its digest, a gzip that does not inflate). */
export class IndexInputError extends OffsiteError {
  override readonly name = 'IndexInputError';
  readonly offset: number;
  constructor(message: string, offset: number, options?: { cause?: unknown }) {
    super(`${message} (record at offset ${offset})`, options);
    this.offset = offset;
  }
}
