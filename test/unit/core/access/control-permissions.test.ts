import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAY_CREATE, PERSON_ROLES, rolesFor } from '#core/access/control-permissions.ts';
import { OPERATION_KINDS, type OperationKind } from '#core/operation.ts';

describe('who may do what through the control API', () => {
  it('every role reads; operators do everything', () => {
    assert.deepEqual(rolesFor('GET', '/mailboxes/ann@example.com/search'), PERSON_ROLES);
    for (const kind of Object.keys(OPERATION_KINDS) as OperationKind[])
      assert.ok(rolesFor('POST', '/operations', kind).includes('operator'), kind);
    assert.deepEqual(
      Object.keys(MAY_CREATE).sort(),
      Object.keys(OPERATION_KINDS).sort(),
      'every kind is decided',
    );
  });

  it('help desk restores but neither purges, holds, sets retention nor bridges a gap', () => {
    const may = (method: string, path: string, kind?: OperationKind) =>
      rolesFor(method, path, kind).includes('help-desk');
    assert.ok(may('POST', '/operations', 'restore'));
    assert.ok(!may('POST', '/operations', 'purge'));
    assert.ok(!may('POST', '/operations', 'export'));
    assert.ok(!may('POST', '/holds'));
    assert.ok(!may('POST', '/holds/acct-1/release'));
    assert.ok(!may('POST', '/retention'));
    assert.ok(!may('POST', '/servers/srv-1/bridge'));
  });

  it('compliance holds, sets retention and exports, and restores nothing', () => {
    const may = (method: string, path: string, kind?: OperationKind) =>
      rolesFor(method, path, kind).includes('compliance');
    assert.ok(may('POST', '/holds') && may('POST', '/holds/acct-1/release') && may('POST', '/retention'));
    assert.ok(may('POST', '/operations', 'export'));
    assert.ok(!may('POST', '/operations', 'restore'));
    assert.ok(!may('POST', '/operations', 'purge'));
  });
});
