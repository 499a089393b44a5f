import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '#core/errors.ts';
import { DEFAULT_SCHEDULES, parseStackConfig, scheduleFor } from '#core/stack-config.ts';

describe('parseStackConfig', () => {
  it('fills safe defaults', () => {
    const config = parseStackConfig(undefined);
    assert.deepEqual(config.objectLock, { mode: 'GOVERNANCE', days: 30 });
    assert.equal(parseStackConfig({ objectLock: false }).objectLock, false);
    assert.equal(config.logRetentionDays, 90);
    assert.equal(scheduleFor(config, 'smartscan'), DEFAULT_SCHEDULES.smartscan);
  });

  it('accepts JSON text as given with -c offsite=...', () => {
    const config = parseStackConfig(
      '{"objectLock":{"mode":"COMPLIANCE","days":30},"schedules":{"purge":"rate(7 days)"}}',
    );
    assert.deepEqual(config.objectLock, { mode: 'COMPLIANCE', days: 30 });
    assert.equal(scheduleFor(config, 'purge'), 'rate(7 days)');
  });

  it('names the unknown key and the accepted values', () => {
    const attempt = (input: unknown) => {
      try {
        parseStackConfig(input);
      } catch (error) {
        assert.ok(error instanceof ValidationError);
        return error.message;
      }
      assert.fail('accepted invalid configuration');
    };
    assert.match(attempt({ objectLok: true }), /unknown key "objectLok"/);
    assert.match(
      attempt({ objectLock: { mode: 'STRICT', days: 1 } }),
      /objectLock\.mode.*"GOVERNANCE"\|"COMPLIANCE"/s,
    );
    assert.match(attempt({ schedules: { purge: 'cron(0 25 * * ? *)' } }), /schedules\.purge: .*hours/);
    assert.match(attempt({ schedules: { nightly: 'rate(1 day)' } }), /schedules: unknown key "nightly"/);
    assert.match(attempt({ logRetentionDays: 8 }), /logRetentionDays/);
    assert.match(attempt('{not json'), /not JSON/);
  });
});
