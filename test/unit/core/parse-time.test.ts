import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTime } from '#core/parse-time.ts';

const utc = (iso: string) => Date.parse(iso);

describe('parsing operator times', () => {
  it('reads the Zimbra forms and ISO 8601, zone-less ones as UTC by default', () => {
    const expected = utc('2010-11-19T14:06:22Z');
    for (const text of [
      '2010/11/19 14:06:22',
      '20101119.140622',
      '20101119140622',
      '2010-11-19T14:06:22',
      '2010-11-19 14:06:22',
      '2010-11-19T14:06:22Z',
      '2010-11-19T15:06:22+01:00',
      '2010-11-19T09:06:22-0500',
    ])
      assert.equal(parseTime(text), expected, text);
    assert.equal(parseTime('20101119.140622.250'), expected + 250);
    assert.equal(parseTime('2010/11/19'), utc('2010-11-19T00:00:00Z'));
    assert.equal(parseTime('2010-11-19T14:06'), utc('2010-11-19T14:06:00Z'));
    assert.equal(parseTime('1700000000000'), 1700000000000);
  });

  it('takes any number of fraction digits, to the millisecond (truncated)', () => {
    const at = utc('2025-11-21T09:00:08.500Z');
    for (const text of [
      '2025-11-21T09:00:08.5Z',
      '2025-11-21T09:00:08.500000Z',
      '2025-11-21T09:00:08.500999999Z',
      '2025-11-21T10:00:08,5+01:00',
      '2025-11-21 09:00:08.500000',
    ])
      assert.equal(parseTime(text), at, text);
    assert.throws(() => parseTime('2025-11-21T09:00:08.1234567890Z'), { message: /is not a time/ });
  });

  it('reads zone-less times in the given IANA zone, across daylight saving changes', () => {
    assert.equal(parseTime('2026/01/15 10:15:00', { zone: 'Europe/Paris' }), utc('2026-01-15T09:15:00Z'));
    assert.equal(parseTime('2026/07/15 10:15:00', { zone: 'Europe/Paris' }), utc('2026-07-15T08:15:00Z'));
    assert.equal(parseTime('20261122101500', { zone: 'America/New_York' }), utc('2026-11-22T15:15:00Z'));
    // An explicit offset wins over the zone.
    assert.equal(parseTime('2026-07-15T10:15:00Z', { zone: 'Europe/Paris' }), utc('2026-07-15T10:15:00Z'));
    // 02:30 does not exist in Paris on 2026-03-29: it is read as 03:30 CEST, never an hour early.
    assert.equal(parseTime('2026/03/29 02:30:00', { zone: 'Europe/Paris' }), utc('2026-03-29T01:30:00Z'));
  });

  it('says what is wrong and what it accepts', () => {
    assert.throws(() => parseTime('yesterday'), {
      name: 'ValidationError',
      message: /"yesterday" is not a time; use ISO 8601.*20101119140622/,
    });
    assert.throws(() => parseTime('2010/02/30 10:00:00'), { message: /not a valid date and time/ });
    assert.throws(() => parseTime('20101119256000'), { message: /not a valid date and time/ });
    assert.throws(() => parseTime('2010/11/19 10:00', { zone: 'Mars/Olympus' }), {
      message: /unknown time zone "Mars\/Olympus"/,
    });
  });
});
