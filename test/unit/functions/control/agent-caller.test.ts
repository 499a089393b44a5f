import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { agentMayAct } from '#functions/control/agent-caller.ts';
import { ForbiddenError } from '#functions/errors.ts';

// A function URL request as AWS hands it over with IAM auth: the caller's role id and session in `userId`.
const signedBy = (userId?: string) =>
  ({
    requestContext: {
      http: { method: 'GET', path: '/servers/mail1/dispatches' },
      ...(userId
        ? { authorizer: { iam: { userId, userArn: `arn:aws:sts::1:assumed-role/x/${userId}` } } }
        : {}),
    },
  }) as unknown as LambdaFunctionURLEvent;

describe("who may act on a server's dispatches", () => {
  const roles = { mail1: 'AROAMAIL1', mail2: 'AROAMAIL2' };

  it('the agent of that server, and no other', () => {
    agentMayAct(signedBy('AROAMAIL1:mail1'), roles)('mail1');
    assert.throws(
      () => agentMayAct(signedBy('AROAMAIL2:mail2'), roles)('mail1'),
      (e: unknown) =>
        e instanceof ForbiddenError &&
        /server mail1 are for its own agent; the caller AROAMAIL2:mail2 is not/.test(e.message),
    );
    assert.throws(
      () => agentMayAct(signedBy('AROAMAIL1:mail1'), roles)('mail3'),
      ForbiddenError,
      'a server without identity',
    );
    assert.throws(
      () => agentMayAct(signedBy(), roles)('mail1'),
      ForbiddenError,
      'a caller the event does not name',
    );
  });

  it('anyone who may call the URL, when the deployment gives servers no identities', () => {
    agentMayAct(signedBy(), {})('mail1');
  });
});
