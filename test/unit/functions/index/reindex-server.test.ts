import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { setDynamodb } from '#functions/clients/dynamodb.ts';
import { readReindex } from '#functions/index/reindex-server.ts';

/** A table that answers every GetItem with `item`. */
function tableHolding(item: Record<string, unknown> | undefined): void {
  setDynamodb({ send: async () => ({ Item: item }) } as unknown as DynamoDBDocumentClient);
}

const marker = { operationId: 'op', index: 0, total: 1, phase: 'wiping', startedAt: 'x', wiped: 0 };

describe('the reindex mark as read', () => {
  after(() => setDynamodb(undefined));

  it('reads a mark as written, keeping fields a later writer added', async () => {
    tableHolding({ pk: 'SRV#mail1', sk: 'REINDEX', ...marker, later: 'kept' });
    assert.deepEqual(await readReindex({ table: 't', serverId: 'mail1' }), { ...marker, later: 'kept' });
  });

  it('refuses a mark without its phase, naming the server', async () => {
    const { phase: _, ...withoutPhase } = marker;
    tableHolding({ pk: 'SRV#mail1', sk: 'REINDEX', ...withoutPhase });
    await assert.rejects(
      readReindex({ table: 't', serverId: 'mail1' }),
      /reindex marker of mail1.*\n.*phase/s,
    );
  });
});
