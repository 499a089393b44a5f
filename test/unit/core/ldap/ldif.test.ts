import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LdifError } from '#core/ldap/errors.ts';
import { formatLdif, parseLdif } from '#core/ldap/ldif.ts';

describe('formatLdif', () => {
  it('writes content records, base64 where RFC 2849 requires it', () => {
    const text = formatLdif([
      { dn: 'dc=com', attributes: { objectClass: ['dcObject', 'organization'], dc: ['com'] } },
      {
        dn: 'uid=zoë,dc=com',
        attributes: { cn: [' leading space'], description: ['a:b'], sn: ['trailing '] },
      },
    ]);
    assert.equal(
      text,
      [
        'version: 1',
        '',
        'dn: dc=com',
        'objectClass: dcObject',
        'objectClass: organization',
        'dc: com',
        '',
        `dn:: ${Buffer.from('uid=zoë,dc=com').toString('base64')}`,
        `cn:: ${Buffer.from(' leading space').toString('base64')}`,
        'description: a:b',
        `sn:: ${Buffer.from('trailing ').toString('base64')}`,
        '',
      ].join('\n'),
    );
  });

  it('folds lines longer than 76 characters and parses them back', () => {
    const long = 'x'.repeat(200);
    const text = formatLdif([{ dn: 'cn=a', attributes: { description: [long] } }]);
    for (const line of text.split('\n')) assert.ok(line.length <= 76, line);
    assert.deepEqual(parseLdif(text), [{ dn: 'cn=a', attributes: { description: [long] } }]);
  });

  it('writes nothing for no entries', () => {
    assert.equal(formatLdif([]), '');
    assert.deepEqual(parseLdif(''), []);
  });
});

describe('parseLdif', () => {
  it('reads what ldapsearch -LLL and slapcat print: comments, folding, base64, CRLF', () => {
    const text =
      '# extended LDIF\r\n# folded comment\r\n  continues\r\ndn: uid=a,ou=people,dc=example,dc=com\r\nobjectClass: inetOrgPerson\r\n' +
      'mail: a@example.com\r\nmail: a.alias@exa\r\n mple.com\r\ncn:: ' +
      Buffer.from('Ünïcode').toString('base64') +
      '\r\n\r\n\r\ndn: dc=com\r\ndc: com\r\n';
    assert.deepEqual(parseLdif(text), [
      {
        dn: 'uid=a,ou=people,dc=example,dc=com',
        attributes: {
          objectClass: ['inetOrgPerson'],
          mail: ['a@example.com', 'a.alias@example.com'],
          cn: ['Ünïcode'],
        },
      },
      { dn: 'dc=com', attributes: { dc: ['com'] } },
    ]);
  });

  it('round-trips arbitrary values', () => {
    const values = ['', ' ', ':x', '<x', 'a\nb', 'tab\tinside', 'é', '\u0000', 'plain'];
    const entries = [{ dn: 'cn=t', attributes: { description: values } }];
    assert.deepEqual(parseLdif(formatLdif(entries)), entries);
  });

  it('rejects input that is not content LDIF, naming the line', () => {
    const cases: [string, RegExp, number][] = [
      ['objectClass: top\n', /must start with "dn:"/, 1],
      ['dn: cn=a\nchangetype: add\n', /change records/, 2],
      ['dn: cn=a\ncn:: %%%\n', /invalid base64/, 2],
      ['dn: cn=a\njpegPhoto:< file:///etc/passwd\n', /URL values/, 2],
      ['dn: cn=a\nno colon here\n', /expected "name: value"/, 2],
      ['version: 2\n\ndn: cn=a\n', /unsupported LDIF version/, 1],
    ];
    for (const [text, message, line] of cases) {
      assert.throws(
        () => parseLdif(text),
        (error: unknown) => error instanceof LdifError && message.test(error.message) && error.line === line,
        text,
      );
    }
  });
});
