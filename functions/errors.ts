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
