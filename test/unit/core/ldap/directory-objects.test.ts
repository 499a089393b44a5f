import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { directoryObjects } from '#core/ldap/directory-objects.ts';
import { directoryEntries } from '#local/mail-host/directory-entries.ts';

const model = {
  mailHost: 'mail.example.com',
  cos: { name: 'default', zimbraId: 'C0000000-0000-4000-a000-000000000001', createdAt: 0 },
  domains: [
    {
      name: 'example.com',
      zimbraId: 'd0000000-0000-4000-a000-000000000001',
      listId: 'l0000000-0000-4000-a000-000000000001',
      createdAt: 0,
    },
  ],
  accounts: [
    {
      zimbraId: 'a0000000-0000-4000-a000-000000000001',
      name: 'Jane@example.com',
      deleted: false,
      createdAt: 0,
      cosId: 'c0000000-0000-4000-a000-000000000001',
      aliases: [{ name: 'jd@example.com', zimbraId: 'b0000000-0000-4000-a000-000000000001' }],
    },
    {
      zimbraId: 'a0000000-0000-4000-a000-000000000002',
      name: 'gone@example.com',
      deleted: true,
      createdAt: 0,
      cosId: 'x',
      aliases: [],
    },
  ],
};

describe('directoryObjects', () => {
  it('classifies and names every object with a zimbraId, and only those', () => {
    const objects = directoryObjects(directoryEntries(model));
    assert.deepEqual(
      objects.map((o) => [o.kind, o.name, o.zimbraId, o.targetId]).sort(),
      [
        ['account', 'jane@example.com', 'a0000000-0000-4000-a000-000000000001', undefined],
        [
          'alias',
          'jd@example.com',
          'b0000000-0000-4000-a000-000000000001',
          'a0000000-0000-4000-a000-000000000001',
        ],
        ['cos', 'default', 'c0000000-0000-4000-a000-000000000001', undefined],
        ['domain', 'example.com', 'd0000000-0000-4000-a000-000000000001', undefined],
        ['list', 'all@example.com', 'l0000000-0000-4000-a000-000000000001', undefined],
      ].sort(),
    );
  });

  it('skips structure and objects of classes it does not know', () => {
    assert.deepEqual(
      directoryObjects([
        { dn: 'ou=people,dc=example,dc=com', attributes: { objectClass: ['organizationalUnit'] } },
        { dn: 'cn=x,cn=servers,cn=zimbra', attributes: { objectClass: ['zimbraServer'], zimbraId: ['s1'] } },
      ]),
      [],
    );
  });
});
