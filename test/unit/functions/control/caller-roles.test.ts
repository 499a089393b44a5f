import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { authorize, callerOfRequest } from '#functions/control/caller-roles.ts';
import { ForbiddenError } from '#functions/errors.ts';

const signedBy = (userId: string) =>
  ({
    requestContext: {
      authorizer: {
        iam: { userId, userArn: `arn:aws:sts::111122223333:assumed-role/r/${userId.split(':')[1]}` },
      },
    },
  }) as unknown as LambdaFunctionURLEvent;
const ROLES = { operator: 'AROAOPS', 'help-desk': 'AROAHELP', compliance: 'AROALAW' };

describe('the caller of the control API', () => {
  it('has the role whose IAM role signed the request, and none for another principal', () => {
    assert.deepEqual(callerOfRequest(signedBy('AROAHELP:kim'), ROLES).roles, ['help-desk']);
    assert.deepEqual(callerOfRequest(signedBy('AIDAUSER:bob'), ROLES).roles, []);
    assert.deepEqual(callerOfRequest(signedBy('AIDAUSER:bob'), {}).roles, [
      'operator',
      'help-desk',
      'compliance',
    ]);
  });

  it('is refused with the action and the roles that may do it, never silently', () => {
    const kim = callerOfRequest(signedBy('AROAHELP:kim'), ROLES);
    authorize(kim, 'POST', '/operations', 'restore');
    // A directory with its password hashes is for operators only, though help desk may restore.
    assert.throws(
      () => authorize(kim, 'POST', '/operations', 'restore', true),
      (e: unknown) =>
        e instanceof ForbiddenError &&
        /may not create a restore operation with password hashes: that takes the operator role/.test(
          e.message,
        ),
    );
    authorize(callerOfRequest(signedBy('AROAOPS:ops'), ROLES), 'POST', '/operations', 'restore', true);
    assert.throws(
      () => authorize(kim, 'POST', '/operations', 'purge'),
      (e: unknown) =>
        e instanceof ForbiddenError &&
        /assumed-role\/r\/kim may not create a purge operation: that takes the operator role \(it has help-desk\)/.test(
          e.message,
        ),
    );
    assert.throws(
      () => authorize(kim, 'POST', '/holds/acct-1/release'),
      /takes the operator or compliance role/,
    );
    const stranger = callerOfRequest(signedBy('AIDAUSER:bob'), ROLES);
    assert.throws(() => authorize(stranger, 'GET', '/servers'), /none of offsite’s roles/);
  });
});
