import { OffsiteError } from '#core/errors.ts';

/** The announced object is missing or differs from what was announced. Retrying may help (eventual listing). */
export class SegmentMismatchError extends OffsiteError {
  override readonly name = 'SegmentMismatchError';
}

/** The segment is already recorded with a different digest: two different contents claim one identity. */
export class SegmentConflictError extends OffsiteError {
  override readonly name = 'SegmentConflictError';
}

export class OperationNotFoundError extends OffsiteError {
  override readonly name = 'OperationNotFoundError';
}

/** The request is well formed but does not fit the state it meets (HTTP 409): say what to do instead. */
export class ConflictError extends OffsiteError {
  override readonly name = 'ConflictError';
}

/** A selftest work item asked to fail (`failItems`): the worker lets it fail as any failure would. */
export class SelftestFailure extends OffsiteError {
  override readonly name = 'SelftestFailure';
}

/** The caller may not do this (HTTP 403): the message names what and why. */
export class ForbiddenError extends OffsiteError {
  override readonly name = 'ForbiddenError';
}
