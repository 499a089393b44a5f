import { OffsiteError } from '#core/errors.ts';

/** The index contradicts itself (a version its chain points at is missing): needs an operator. */
export class IndexIntegrityError extends OffsiteError {
  override readonly name = 'IndexIntegrityError';
}

/** A segment cannot be indexed as stored: unparsable bytes, a body that fails its digest, a wrong file. */
export class SegmentCorruptError extends OffsiteError {
  override readonly name = 'SegmentCorruptError';
}
