import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { isConditionFailed } from '#functions/clients/dynamodb.ts';

describe('isConditionFailed', () => {
  it("tells a refused condition by the error's name, from this SDK copy or another", () => {
    assert.ok(isConditionFailed(new ConditionalCheckFailedException({ message: 'no', $metadata: {} })));
    const foreign = Object.assign(new Error('The conditional request failed'), {
      name: 'ConditionalCheckFailedException',
    });
    assert.ok(isConditionFailed(foreign));
  });

  it('says no to every other failure, and to what is not an error', () => {
    for (const other of [
      Object.assign(new Error('cancelled'), { name: 'TransactionCanceledException' }),
      new Error('ConditionalCheckFailedException'),
      'ConditionalCheckFailedException',
      null,
      undefined,
    ])
      assert.equal(isConditionFailed(other), false, String(other));
  });
});
