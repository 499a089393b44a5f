import { OffsiteError } from '#core/errors.ts';

/** A bundle's content is not what its manifest says (a digest differs, a file is missing or malformed). */
export class BundleIntegrityError extends OffsiteError {
  override readonly name = 'BundleIntegrityError';
}

/** The target cannot take the bundle as it is (a folder name the layout cannot hold, a login refused…). */
export class RestoreTargetError extends OffsiteError {
  override readonly name = 'RestoreTargetError';
}
