import { OffsiteError } from '#core/errors.ts';

/** An emulator or the local runtime could not start or run; the message says what to do. */
export class LocalCloudError extends OffsiteError {
  override readonly name = 'LocalCloudError';
}

/** The synthesized template uses something the local runtime does not emulate. */
export class UnsupportedTemplateError extends OffsiteError {
  override readonly name = 'UnsupportedTemplateError';
}

/** A function invocation failed: it threw, timed out or its process died. */
export class InvocationError extends OffsiteError {
  override readonly name = 'InvocationError';
}
