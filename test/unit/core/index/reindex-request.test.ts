import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reindexParamsSchema } from '#core/index/reindex-request.ts';

describe('reindex parameters', () => {
  it('takes servers, and a redo file to start at for exactly one of them', () => {
    assert.deepEqual(reindexParamsSchema.parse({ servers: ['a', 'b'] }), { servers: ['a', 'b'] });
    assert.deepEqual(reindexParamsSchema.parse({ servers: ['a'], fromSeq: '42' }), {
      servers: ['a'],
      fromSeq: '42',
    });
  });

  it('refuses what cannot mean one thing', () => {
    for (const params of [
      {},
      { servers: [] },
      { servers: ['a', 'b'], fromSeq: '3' },
      { servers: ['a', 'a'] },
      { servers: ['a/b'] },
      { servers: ['a'], fromSeq: '-1' },
      { servers: ['a'], extra: true },
    ])
      assert.equal(reindexParamsSchema.safeParse(params).success, false, JSON.stringify(params));
  });
});
