import { ValidationError } from '#core/errors.ts';
import { OPERATION_KINDS, type OperationKind } from '#core/operation.ts';

/** What a rule fires: an operation of a kind, or the sweep of stalled operations alone. */
export type ScheduledJob = OperationKind | 'sweep';

/**
 * Rules are named `<stack>-<job>` (see the OffsiteFunction construct), so the plain Scheduled Event, whose
 * `resources` holds the rule ARN, tells which job fired without a custom input.
 */
export function jobFromRuleArn(ruleArn: string): ScheduledJob {
  const ruleName = ruleArn.slice(ruleArn.lastIndexOf('/') + 1);
  const jobs: ScheduledJob[] = [...(Object.keys(OPERATION_KINDS) as OperationKind[]), 'sweep'];
  const job = jobs.find((kind) => ruleName.endsWith(`-${kind}`));
  if (!job) {
    throw new ValidationError(
      `rule ${ruleArn} does not name a scheduled job (expected <stack>-<job>, job one of ${jobs.join(', ')})`,
    );
  }
  return job;
}
