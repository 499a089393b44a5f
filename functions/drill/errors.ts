import { OffsiteError } from '#core/errors.ts';

/** The drill's attestation could not be signed (the key is missing, or KMS refused). */
export class DrillSigningError extends OffsiteError {
  override readonly name = 'DrillSigningError';
}
