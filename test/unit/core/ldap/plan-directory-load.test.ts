import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DirectoryEntry } from '#core/ldap/directory-entry.ts';
import { planDirectoryLoad } from '#core/ldap/plan-directory-load.ts';

const account: DirectoryEntry = {
  dn: 'uid=jane,ou=people,dc=example,dc=org',
  attributes: {
    objectClass: ['inetOrgPerson', 'zimbraAccount'],
    uid: ['jane'],
    zimbraMailHost: ['old.example.org'],
    zimbraMailTransport: ['lmtp:old.example.org:7025'],
  },
};
const domain: DirectoryEntry = {
  dn: 'dc=example,dc=org',
  attributes: { objectClass: ['dcObject', 'organization', 'zimbraDomain'], dc: ['example'], o: ['example'] },
};
const cos: DirectoryEntry = {
  dn: 'cn=default,cn=cos,cn=zimbra',
  attributes: { objectClass: ['zimbraCOS'], cn: ['default'] },
};

describe('planDirectoryLoad', () => {
  it('loads parents first and makes the ancestors the restore does not carry', () => {
    const steps = planDirectoryLoad([account, cos, domain]);
    const order = steps.map((s) => `${s.ancestor ? '+' : ''}${s.entry.dn}`);
    assert.deepEqual(order, [
      '+dc=org',
      '+cn=zimbra',
      '+cn=cos,cn=zimbra',
      'dc=example,dc=org',
      '+ou=people,dc=example,dc=org',
      'cn=default,cn=cos,cn=zimbra',
      'uid=jane,ou=people,dc=example,dc=org',
    ]);
    const of = (dn: string) => steps.find((s) => s.entry.dn === dn)?.entry.attributes;
    assert.deepEqual(of('dc=org'), { objectClass: ['dcObject', 'organization'], dc: ['org'], o: ['org'] });
    assert.deepEqual(of('ou=people,dc=example,dc=org'), {
      objectClass: ['organizationalUnit'],
      ou: ['people'],
    });
    assert.deepEqual(of('cn=zimbra'), { objectClass: ['organizationalRole'], cn: ['zimbra'] });
    // What the restore carries is never replaced by a made-up ancestor.
    assert.deepEqual(of('dc=example,dc=org'), domain.attributes);
  });

  it('rewrites the mail host of accounts when asked, and nothing else', () => {
    const [moved] = planDirectoryLoad([account], 'new.example.org').filter((s) => !s.ancestor);
    assert.deepEqual(moved?.entry.attributes.zimbraMailHost, ['new.example.org']);
    assert.deepEqual(moved?.entry.attributes.zimbraMailTransport, ['lmtp:new.example.org:7025']);
    assert.deepEqual(moved?.entry.attributes.uid, ['jane']);
    const [kept] = planDirectoryLoad([account]).filter((s) => !s.ancestor);
    assert.deepEqual(kept?.entry.attributes.zimbraMailHost, ['old.example.org']);
  });

  it('makes no ancestor it cannot name the class of (a uid= parent)', () => {
    const child: DirectoryEntry = {
      dn: 'cn=x,uid=jane,dc=org',
      attributes: { objectClass: ['top'], cn: ['x'] },
    };
    const steps = planDirectoryLoad([child]);
    assert.deepEqual(
      steps.map((s) => s.entry.dn),
      ['dc=org', 'cn=x,uid=jane,dc=org'],
    );
  });
});
