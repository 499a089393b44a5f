import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '#core/errors.ts';
import { nextFiring, parseSchedule } from '#core/schedule-expression.ts';

const at = (iso: string) => new Date(iso);

describe('parseSchedule / nextFiring', () => {
  it('fires a nightly cron at the next 02:00 UTC', () => {
    const s = parseSchedule('cron(0 2 * * ? *)');
    assert.equal(nextFiring(s, at('2026-11-22T10:15:00Z'))?.toISOString(), '2026-11-23T02:00:00.000Z');
    assert.equal(nextFiring(s, at('2026-11-23T01:59:59Z'))?.toISOString(), '2026-11-23T02:00:00.000Z');
    assert.equal(nextFiring(s, at('2026-11-23T02:00:00Z'))?.toISOString(), '2026-11-24T02:00:00.000Z');
  });

  it('numbers days of week 1 = SUN as EventBridge does, and accepts names', () => {
    // 2026-11-22 is a Sunday.
    const byName = parseSchedule('cron(0 4 ? * SUN *)');
    const byNumber = parseSchedule('cron(0 4 ? * 1 *)');
    assert.equal(nextFiring(byName, at('2026-11-20T00:00:00Z'))?.toISOString(), '2026-11-22T04:00:00.000Z');
    assert.equal(nextFiring(byNumber, at('2026-11-20T00:00:00Z'))?.toISOString(), '2026-11-22T04:00:00.000Z');
    const weekdays = parseSchedule('cron(30 8 ? * MON-FRI *)');
    assert.equal(nextFiring(weekdays, at('2026-11-21T09:00:00Z'))?.toISOString(), '2026-11-23T08:30:00.000Z');
  });

  it('handles monthly, stepped and listed fields', () => {
    assert.equal(
      nextFiring(parseSchedule('cron(0 5 1 * ? *)'), at('2026-11-22T00:00:00Z'))?.toISOString(),
      '2026-12-01T05:00:00.000Z',
    );
    assert.equal(
      nextFiring(parseSchedule('cron(0/15 * * * ? *)'), at('2026-11-22T10:16:00Z'))?.toISOString(),
      '2026-11-22T10:30:00.000Z',
    );
    assert.equal(
      nextFiring(parseSchedule('cron(0 9,17 * * ? *)'), at('2026-11-22T10:00:00Z'))?.toISOString(),
      '2026-11-22T17:00:00.000Z',
    );
    assert.equal(
      nextFiring(parseSchedule('cron(0 0 29 FEB ? *)'), at('2026-03-01T00:00:00Z'))?.toISOString(),
      '2028-02-29T00:00:00.000Z',
    );
    assert.equal(nextFiring(parseSchedule('cron(0 0 1 1 ? 2020)'), at('2026-03-01T00:00:00Z')), undefined);
  });

  it('counts rates from the origin', () => {
    const s = parseSchedule('rate(30 minutes)');
    const origin = at('2026-11-22T10:00:00Z');
    assert.equal(nextFiring(s, origin, origin)?.toISOString(), '2026-11-22T10:30:00.000Z');
    assert.equal(
      nextFiring(s, at('2026-11-22T10:30:00Z'), origin)?.toISOString(),
      '2026-11-22T11:00:00.000Z',
    );
    assert.equal(
      nextFiring(parseSchedule('rate(1 day)'), origin, origin)?.toISOString(),
      '2026-11-23T10:00:00.000Z',
    );
  });

  it('rejects malformed and unsupported expressions by name', () => {
    for (const [expression, fragment] of [
      ['rate(0 minutes)', 'at least 1'],
      ['rate(1 minutes)', 'rate(1 minute)'],
      ['rate(5 weeks)', 'expected rate'],
      ['cron(0 2 * * *)', 'expected rate'],
      ['cron(0 2 * * * *)', 'exactly one of'],
      ['cron(0 25 * * ? *)', 'hours'],
      ['cron(0 2 L * ? *)', 'L, W and #'],
      ['cron(0 2 ? * MON#2 *)', 'L, W and #'],
      ['cron(x 2 * * ? *)', 'minutes'],
    ] as const) {
      assert.throws(
        () => parseSchedule(expression),
        (e: unknown) => e instanceof ValidationError && e.message.includes(fragment),
        expression,
      );
    }
  });
});
