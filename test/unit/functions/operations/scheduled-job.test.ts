import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '#core/errors.ts';
import { jobFromRuleArn } from '#functions/operations/scheduled-job.ts';

describe('the job a rule fires', () => {
  const arn = (name: string) => `arn:aws:events:eu-west-1:123456789012:rule/${name}`;
  it('is named by the rule: an operation kind, or the sweep of stalled operations', () => {
    assert.equal(jobFromRuleArn(arn('Offsite-smartscan')), 'smartscan');
    assert.equal(jobFromRuleArn(arn('Offsite-legal-hold')), 'legal-hold');
    assert.equal(jobFromRuleArn(arn('Offsite-ldap-dump')), 'ldap-dump');
    assert.equal(jobFromRuleArn(arn('prod-offsite-sweep')), 'sweep');
  });
  it('refuses a rule that names no job, listing the jobs', () => {
    assert.throws(
      () => jobFromRuleArn(arn('Offsite-nightly')),
      (e: unknown) => e instanceof ValidationError && /sweep/.test(e.message) && /smartscan/.test(e.message),
    );
  });
});
