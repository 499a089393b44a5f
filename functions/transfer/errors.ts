import { OffsiteError, ValidationError } from '#core/errors.ts';

/** An export or import cannot be planned as asked (a bucket it may not use, a destination in use…). */
export class TransferPlanError extends ValidationError {
  override readonly name = 'TransferPlanError';
}

/** An object of an export is missing, unreadable or not what its manifest says. */
export class ExportObjectError extends OffsiteError {
  override readonly name = 'ExportObjectError';
}
