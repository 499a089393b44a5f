import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { retentionFor, retentionPolicySchema } from '#core/retention/retention-policy.ts';

const DAY = 86_400_000;
const asOf = Date.UTC(2026, 11, 1);
const policy = retentionPolicySchema.parse({
  defaultDays: 90,
  servers: { 'srv-b': 30 },
  cos: { 'cos-exec': 3650 },
  accounts: { 'acct-forever': 0, 'acct-short': 7 },
});
const mailbox = (accountId: string, serverId = 'srv-a', cosId?: string) => ({ serverId, accountId, cosId });

describe('retention policy', () => {
  it('takes the most specific setting: account, class of service, server, default', () => {
    assert.deepEqual(retentionFor(policy, new Set(), mailbox('acct-short', 'srv-b', 'cos-exec'), asOf), {
      days: 7,
      source: 'account',
      cutoff: asOf - 7 * DAY,
    });
    assert.equal(retentionFor(policy, new Set(), mailbox('x', 'srv-b', 'cos-exec'), asOf).source, 'cos');
    assert.equal(retentionFor(policy, new Set(), mailbox('x', 'srv-b'), asOf).days, 30);
    assert.equal(retentionFor(policy, new Set(), mailbox('x'), asOf).days, 90);
  });

  it('keeps everything for 0 days and under a legal hold, whatever else says', () => {
    assert.deepEqual(retentionFor(policy, new Set(), mailbox('acct-forever'), asOf), {
      days: 0,
      source: 'account',
      cutoff: undefined,
    });
    assert.deepEqual(retentionFor(policy, new Set(['acct-short']), mailbox('acct-short'), asOf), {
      days: 0,
      source: 'hold',
      cutoff: undefined,
    });
    assert.equal(
      retentionFor(retentionPolicySchema.parse({}), new Set(), mailbox('x'), asOf).cutoff,
      undefined,
    );
  });

  it('refuses what is not a policy', () => {
    for (const bad of [{ defaultDays: -1 }, { defaultDays: 1.5 }, { accounts: { '../x': 3 } }, { days: 3 }])
      assert.equal(retentionPolicySchema.safeParse(bad).success, false, JSON.stringify(bad));
  });
});
