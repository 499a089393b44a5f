/** Base of every error offsite raises on purpose: a stable `name` callers can switch on, and the `cause`. */
export class OffsiteError extends Error {
  override readonly name: string = 'OffsiteError';
}

/** Input (configuration, event, request, file) does not have the shape we accept. */
export class ValidationError extends OffsiteError {
  override readonly name: string = 'ValidationError';
  readonly issues: readonly string[];
  constructor(message: string, issues: readonly string[] = [], options?: { cause?: unknown }) {
    super(message, options);
    this.issues = issues;
  }
}
