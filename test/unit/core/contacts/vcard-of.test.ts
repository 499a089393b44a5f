import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ICAL from 'ical.js';
import { vcardOf } from '#core/contacts/vcard-of.ts';

// What an address book sees: the cards read back with ical.js's vCard parser, not with our own code.

describe('vCard of a folder of contacts', () => {
  const { text, cards } = vcardOf([
    {
      id: 300,
      uid: 'acct:300',
      fields: {
        firstName: 'Zoë',
        lastName: "O'Brien, Jr.",
        email: 'zoe@example.com',
        email2: 'zoe@home.example',
        company: 'ACME; Inc',
        jobTitle: 'Chief',
        mobilePhone: '+1 555 0100',
        workStreet: '1 Main St\nSuite 4',
        workCity: 'Springfield',
        notes: 'x'.repeat(200),
        customKey: 'kept',
      },
    },
    { id: 301, uid: 'acct:301', fields: { email: 'only@example.com' } },
  ]);
  const parsed = ICAL.parse(text) as unknown[];
  const [first, second] = parsed.map((c) => new ICAL.Component(c as unknown[]));

  it('writes folded CRLF lines of at most 75 octets', () => {
    assert.equal(cards, 2);
    for (const line of text.split('\r\n')) assert.ok(Buffer.byteLength(line) <= 75, line);
  });

  it('maps Zimbra fields to vCard properties, escaped and read back as they were', () => {
    assert.ok(first && second);
    assert.equal(first.getFirstPropertyValue('version'), '3.0');
    assert.equal(first.getFirstPropertyValue('uid'), 'acct:300');
    assert.equal(first.getFirstPropertyValue('fn'), "Zoë O'Brien, Jr.");
    assert.deepEqual(first.getFirstPropertyValue('n'), ["O'Brien, Jr.", 'Zoë', '', '', '']);
    assert.deepEqual(
      first.getAllProperties('email').map((p) => p.getFirstValue()),
      ['zoe@example.com', 'zoe@home.example'],
    );
    assert.deepEqual(first.getFirstPropertyValue('org'), ['ACME; Inc', '']);
    assert.equal(first.getFirstPropertyValue('title'), 'Chief');
    assert.equal(first.getFirstPropertyValue('tel'), '+1 555 0100');
    assert.deepEqual(first.getFirstProperty('adr')?.getFirstValue(), [
      '',
      '',
      '1 Main St\nSuite 4',
      'Springfield',
      '',
      '',
      '',
    ]);
    assert.equal(first.getFirstPropertyValue('note'), 'x'.repeat(200));
    assert.equal(first.getFirstPropertyValue('x-zimbra-customkey'), 'kept');
  });

  it('names a card with no name by its address', () => {
    assert.equal(second?.getFirstPropertyValue('fn'), 'only@example.com');
  });
});
