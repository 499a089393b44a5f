import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { needsStartTls } from '#agent/ldap/dump-directory.ts';

describe('the LDAP connection of a dump', () => {
  it('upgrades an ldap:// URL to another host with StartTLS before the bind', () => {
    assert.equal(needsStartTls('ldap://ldap.example.com:389', false), 'ldap.example.com');
    assert.equal(needsStartTls('ldap://10.0.0.5', false), '10.0.0.5');
  });

  it('needs nothing for ldaps://, for loopback, or when the operator allows plaintext', () => {
    assert.equal(needsStartTls('ldaps://ldap.example.com:636', false), undefined);
    for (const url of ['ldap://127.0.0.1:389', 'ldap://localhost', 'ldap://[::1]:389'])
      assert.equal(needsStartTls(url, false), undefined, url);
    assert.equal(needsStartTls('ldap://ldap.example.com', true), undefined);
  });
});
