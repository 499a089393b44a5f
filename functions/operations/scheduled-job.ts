import { ValidationError } from '#core/errors.ts';
import { OPERATION_KINDS, type OperationKind } from '#core/operation.ts';

/**
 * Rules are named `<stack>-<job>` (see the OffsiteFunction construct), so the plain Scheduled Event, whose
 * `resources` holds the rule ARN, tells which job fired without a custom input.
 */
export function jobFromRuleArn(ruleArn: string): OperationKind {
  const ruleName = ruleArn.slice(ruleArn.lastIndexOf('/') + 1);
  const job = Object.keys(OPERATION_KINDS).find((kind) => ruleName.endsWith(`-${kind}`));
  if (!job) {
    throw new ValidationError(
      `rule ${ruleArn} does not name a scheduled job (expected <stack>-<job>, job one of ${Object.keys(OPERATION_KINDS).join(', ')})`,
    );
  }
  return job as OperationKind;
}
