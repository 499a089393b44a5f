import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { headFromItem, headItem, versionFromItem, versionItem } from '#core/index/entity-items.ts';
import { storedKey } from '#core/index/stored-key.ts';
import { indexKeys, LEGACY_VERSION_KEYS, scopeKeys } from '#core/index-keys.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import { type WriteRequest, writeAll } from '#functions/index/batch-requests.ts';
import { serverScopes } from '#functions/index/server-scopes.ts';
import { queryAll } from '#functions/query/query-all.ts';

/**
 * Moves a server's closed versions from the old layout (`V#<key>#<fromPos>`, each with a gsi1 entry by its end
 * time) to keys by their end time, once, before the indexer writes anything of the server (a reader never
 * meets a mix). Per scope: heads are given the end of the version before them (a retried segment walks back
 * by it), the versions are written under their new keys with the same, and only then are the old keys
 * deleted; a marker in the server's partition says it is done. A call cut short is repeated whole and
 * finds what is left. Returns the versions moved. Costs one read per call once done (the marker).
 */
export async function upgradeVersionKeys(table: string, serverId: string): Promise<number> {
  const marker = { pk: indexKeys.server(serverId), sk: indexKeys.versionKeys };
  const found = await dynamodb().send(
    new GetCommand({ TableName: table, Key: marker, ConsistentRead: true }),
  );
  if (found.Item) return 0;
  let moved = 0;
  for (const scope of await serverScopes(table, serverId)) {
    const { pk } = scopeKeys(serverId, scope);
    const { items } = await queryAll({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': pk,
        ':from': LEGACY_VERSION_KEYS.from,
        ':to': LEGACY_VERSION_KEYS.to,
      },
      ConsistentRead: true,
    });
    // What each moved version and head did not store: when the version before it ended (its key now).
    const versions = items.map(versionFromItem);
    const ends = new Map(versions.map((v) => [`${v.key}\n${v.fromPos}`, v.toTime]));
    const endOf = (key: string, prevFrom: string | null, prevTo: number | null) =>
      prevTo ?? (prevFrom === null ? null : (ends.get(`${key}\n${prevFrom}`) ?? null));
    const heads = await queryAll({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :h)',
      FilterExpression: 'attribute_exists(pp) AND attribute_not_exists(pt)',
      ExpressionAttributeValues: { ':pk': pk, ':h': 'H#' },
      ConsistentRead: true,
    });
    const puts: WriteRequest[] = [];
    for (const { mailboxId, key, ...head } of heads.items.map(headFromItem)) {
      const prevTo = endOf(key, head.prevFrom, head.prevTo);
      if (prevTo !== null)
        puts.push({ PutRequest: { Item: headItem(serverId, mailboxId, key, { ...head, prevTo }) } });
    }
    await writeAll(table, puts);
    await writeAll(
      table,
      versions.map((v) => ({
        PutRequest: { Item: versionItem(serverId, { ...v, prevTo: endOf(v.key, v.prevFrom, v.prevTo) }) },
      })),
    );
    await writeAll(
      table,
      items.map((item) => ({ DeleteRequest: { Key: storedKey(item) } })),
    );
    moved += items.length;
  }
  await dynamodb().send(
    // No time in it: an index rebuilt from the same stream is the same, item for item.
    new PutCommand({ TableName: table, Item: { ...marker, moved } }),
  );
  return moved;
}
