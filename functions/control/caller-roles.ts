import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { actionOf, PERSON_ROLES, type PersonRole, rolesFor } from '#core/access/control-permissions.ts';
import { roleIdOf } from '#core/access/role-id-of.ts';
import type { OperationKind } from '#core/operation.ts';
import { callerOf } from '#functions/control/agent-caller.ts';
import { ForbiddenError } from '#functions/errors.ts';

/** Who called, and in which roles (the IAM role that signed the request, by its role id). */
export interface Caller {
  /** The principal's ARN as the function URL reports it (`assumed-role/…/<session>`), or `unknown`. */
  readonly arn: string;
  readonly roles: readonly PersonRole[];
}

/**
 * The caller of a control API request. With no person roles configured (`roleIds` empty) every caller has
 * every role, as before roles existed.
 */
export function callerOfRequest(
  event: LambdaFunctionURLEvent,
  roleIds: Readonly<Partial<Record<PersonRole, string>>>,
): Caller {
  const iam = callerOf(event);
  const arn = iam?.userArn ?? 'unknown';
  if (Object.keys(roleIds).length === 0) return { arn, roles: PERSON_ROLES };
  const role = roleIdOf(iam?.userId ?? '');
  return { arn, roles: PERSON_ROLES.filter((r) => roleIds[r] !== undefined && roleIds[r] === role) };
}

/** Throws a ForbiddenError naming the action and the roles that may do it, unless the caller has one. */
export function authorize(
  caller: Caller,
  method: string,
  path: string,
  kind?: OperationKind,
  secrets = false,
): void {
  const may = rolesFor(method, path, kind, secrets);
  if (caller.roles.some((r) => may.includes(r))) return;
  throw new ForbiddenError(
    `${caller.arn} may not ${actionOf(method, path, kind, secrets)}: that takes the ${may.join(' or ')} role (${caller.roles.length > 0 ? `it has ${caller.roles.join(', ')}` : 'it has none of offsite’s roles'})`,
  );
}
