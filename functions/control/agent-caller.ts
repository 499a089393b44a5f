import type { LambdaFunctionURLEvent, LambdaFunctionURLEventWithIAMAuthorizer } from 'aws-lambda';
import { roleIdOf } from '#core/access/role-id-of.ts';
import { ForbiddenError } from '#functions/errors.ts';

/**
 * Which server's dispatches the caller of the agent API may see and act on: in a deployment that gives each
 * server its identity (`agentRoleIds`), only those of the server whose agent role signed the request (the
 * function URL's IAM caller, `<role id>:<session>`); the server named in the path must be it. Without server
 * identities, the path decides (every host shares one policy).
 */
export function agentMayAct(
  event: LambdaFunctionURLEvent,
  agentRoleIds: Readonly<Record<string, string>>,
): (serverId: string) => void {
  if (Object.keys(agentRoleIds).length === 0) return () => undefined;
  const caller = callerOf(event)?.userId ?? '';
  const role = roleIdOf(caller);
  return (serverId) => {
    if (agentRoleIds[serverId] === undefined || agentRoleIds[serverId] !== role)
      throw new ForbiddenError(
        `the dispatches of server ${serverId} are for its own agent; the caller ${caller || '(unknown)'} is not`,
      );
  };
}

/** The IAM caller of a function URL request (the URL's AuthType is AWS_IAM), if the event says. */
export function callerOf(event: LambdaFunctionURLEvent): { userId?: string; userArn?: string } | undefined {
  return (event as Partial<LambdaFunctionURLEventWithIAMAuthorizer>).requestContext?.authorizer?.iam;
}
