import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { headItem } from '#core/index/entity-items.ts';
import { itemKey, type MessageEntity } from '#core/index/index-entity.ts';
import { VersionOverlay } from '#core/index/version-overlay.ts';
import { indexKeys } from '#core/index-keys.ts';
import { setDynamodb } from '#functions/clients/dynamodb.ts';
import { loadEntities } from '#functions/index/load-entities.ts';

const message = (id: number): MessageEntity => ({
  kind: 'message',
  folderId: 2,
  flags: 0,
  tags: [],
  digest: 'ZGlnZXN0',
  sha256: String(id % 10).repeat(64),
  size: 100,
  receivedDate: 1_700_000_000_000,
  conv: 700,
});
const head = (id: number) =>
  headItem('srv', 7, itemKey(id), {
    state: message(id),
    fromPos: '00000000000000000001:00000000000000000010',
    fromTime: 1,
    prevFrom: null,
    prevTo: null,
    op: 'CreateMessage',
  });

/** A table holding a conversation's joins as `joins`, and the heads of messages 300 to 309. */
function tableWith(joins: Record<string, unknown>[]): void {
  const heads = new Map(Array.from({ length: 10 }, (_, i) => [String(head(300 + i).sk), head(300 + i)]));
  setDynamodb({
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      if (command.constructor.name === 'QueryCommand') return { Items: joins };
      if (command.constructor.name === 'BatchGetCommand') {
        const request = Object.values(
          command.input.RequestItems as Record<string, { Keys: { sk: string }[] }>,
        );
        const keys = request[0]?.Keys ?? [];
        return { Responses: { t: keys.flatMap((k) => heads.get(k.sk) ?? []) } };
      }
      throw new Error(`unexpected ${command.constructor.name}`);
    },
  } as unknown as DynamoDBDocumentClient);
}

describe("loading a conversation's messages", () => {
  after(() => setDynamodb(undefined));
  const pk = indexKeys.mailbox('srv', 7);

  it('reads the joins from span items and from the join items of releases before them', async () => {
    tableWith([
      { pk, sk: indexKeys.conversationMember(700, 300) },
      { pk, sk: indexKeys.conversationSpan(700, 301), ms: new Set([301, 302]) },
      { pk, sk: indexKeys.conversationSpan(700, 305), ms: new Set([305]) },
    ]);
    const overlay = new VersionOverlay();
    await loadEntities({ table: 't', serverId: 'srv', segmentStart: '2' }, overlay, [
      { mailboxId: 7, conversation: 700 },
    ]);
    for (const id of [300, 301, 302, 305]) assert.deepEqual(overlay.get(7, itemKey(id)), message(id));
    assert.equal(overlay.isLoaded(7, itemKey(303)), false, 'only the messages that joined');
  });

  it('keeps the spans of a conversation apart: 128 message ids each, under its prefix', () => {
    assert.equal(indexKeys.conversationSpan(700, 301), indexKeys.conversationSpan(700, 383));
    assert.notEqual(indexKeys.conversationSpan(700, 383), indexKeys.conversationSpan(700, 384));
    assert.ok(indexKeys.conversationSpan(700, 384).startsWith(indexKeys.conversationMembers(700)));
    assert.ok(!indexKeys.conversationSpan(7000, 1).startsWith(indexKeys.conversationMembers(700)));
  });
});
