import { OffsiteError } from '#core/errors.ts';

/** Text that is not LDIF where LDIF was expected; `line` is 1-based. */
export class LdifError extends OffsiteError {
  override readonly name: string = 'LdifError';
  readonly line: number;
  constructor(message: string, line: number, options?: { cause?: unknown }) {
    super(`${message} (LDIF line ${line})`, options);
    this.line = line;
  }
}
