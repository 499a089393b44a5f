import { OffsiteError, ValidationError } from '#core/errors.ts';

/** A restore cannot be planned as asked (an account that did not exist then, nothing to undelete…). */
export class RestorePlanError extends ValidationError {
  override readonly name = 'RestorePlanError';
}

/** An object of the operation (its plan, a work item, a result) is missing or not what was written. */
export class OperationObjectError extends OffsiteError {
  override readonly name = 'OperationObjectError';
}
