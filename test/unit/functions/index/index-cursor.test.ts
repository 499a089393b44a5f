import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '#core/errors.ts';
import { setDynamodb } from '#functions/clients/dynamodb.ts';
import { readCursor } from '#functions/index/index-cursor.ts';

/** A table that answers every GetItem with `item`. */
function tableHolding(item: Record<string, unknown> | undefined): void {
  setDynamodb({ send: async () => ({ Item: item }) } as unknown as DynamoDBDocumentClient);
}

const cursor = {
  pk: 'SRV#mail1',
  sk: 'CURSOR',
  seq: '4',
  offset: '61172',
  pending: [{ txnId: { time: 1, counter: 2 }, ops: [{ seq: '4', offset: 600, length: 80 }] }],
  segments: 5,
  state: 'ok',
};

describe('the index cursor as read', () => {
  after(() => setDynamodb(undefined));

  it('read a cursor as the writers store it: a commit without a commit time stores null there', async () => {
    tableHolding({ ...cursor, lastCommitTime: null });
    const { pk: _pk, sk: _sk, ...fields } = cursor;
    assert.deepEqual(await readCursor('t', 'mail1'), fields);
    tableHolding({ ...cursor, lastCommitTime: 1_700_000_000_000, state: 'gap', reason: 'lost', since: 'x' });
    assert.equal((await readCursor('t', 'mail1'))?.lastCommitTime, 1_700_000_000_000);
    tableHolding(undefined);
    assert.equal(await readCursor('t', 'mail1'), undefined);
  });

  it('refuse a cursor that is not what the writers store, naming the server', async () => {
    tableHolding({ ...cursor, state: 'stuck', offset: 61172 });
    await assert.rejects(readCursor('t', 'mail1'), (error: unknown) => {
      assert.ok(error instanceof ValidationError);
      assert.match(error.message, /index cursor of mail1/);
      assert.match(error.message, /state/);
      assert.match(error.message, /offset/);
      return true;
    });
  });
});
