import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { versionFromItem, versionItem } from '#core/index/entity-items.ts';
import { storedKey } from '#core/index/stored-key.ts';
import { indexKeys, LEGACY_VERSION_KEYS, scopeKeys } from '#core/index-keys.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import { type WriteRequest, writeAll } from '#functions/index/batch-requests.ts';
import { serverScopes } from '#functions/index/server-scopes.ts';
import { queryAll } from '#functions/query/query-all.ts';

/**
 * Moves a server's closed versions from the old layout (`V#<key>#<fromPos>`, each with a gsi1 entry by its end
 * time) to keys by their end time, once: every scope's old keys are written anew and then deleted, and a
 * marker in the server's partition says it is done. Before the indexer writes anything of the server, so a
 * reader never meets a mix it cannot read; a call cut short is repeated whole (what moved is not met again).
 * Returns the versions moved. Costs one read per call once done (the marker).
 */
export async function upgradeVersionKeys(table: string, serverId: string): Promise<number> {
  const marker = { pk: indexKeys.server(serverId), sk: indexKeys.versionKeys };
  const found = await dynamodb().send(
    new GetCommand({ TableName: table, Key: marker, ConsistentRead: true }),
  );
  if (found.Item) return 0;
  let moved = 0;
  for (const scope of await serverScopes(table, serverId)) {
    const { items } = await queryAll({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': scopeKeys(serverId, scope).pk,
        ':from': LEGACY_VERSION_KEYS.from,
        ':to': LEGACY_VERSION_KEYS.to,
      },
      ConsistentRead: true,
    });
    const puts: WriteRequest[] = items.map((item) => ({
      PutRequest: { Item: versionItem(serverId, versionFromItem(item)) },
    }));
    await writeAll(table, puts);
    await writeAll(
      table,
      items.map((item) => ({ DeleteRequest: { Key: storedKey(item) } })),
    );
    moved += items.length;
  }
  await dynamodb().send(
    new PutCommand({ TableName: table, Item: { ...marker, upgradedAt: new Date().toISOString(), moved } }),
  );
  return moved;
}
