import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { headFromItem, versionFromItem } from '#core/index/entity-items.ts';
import { storedKey } from '#core/index/stored-key.ts';
import type { EntityVersion } from '#core/index/version-overlay.ts';
import { entityKeys, indexKeys, LEGACY_VERSION_KEYS, scopeKeys } from '#core/index-keys.ts';
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
    // Each item is written again as it is (whatever else it holds, riders included), with the end added.
    const puts: WriteRequest[] = [];
    for (const item of heads.items) {
      const { key, prevFrom, prevTo, riders } = headFromItem(item);
      const rider = riders?.[0]?.fromPos === prevFrom ? riders?.[0] : undefined;
      const end = endOf(key, prevFrom, prevTo) ?? rider?.toTime ?? null;
      if (end !== null) puts.push({ PutRequest: { Item: { ...item, pt: end } } });
    }
    await writeAll(table, puts);
    await writeAll(
      table,
      items.map((item, i) => {
        const v = versions[i] as EntityVersion;
        const { gsi1pk: _pk, gsi1sk: _sk, ...rest } = item;
        const end = endOf(v.key, v.prevFrom, v.prevTo);
        const sk = entityKeys(serverId, v.mailboxId, v.key).version(v.toTime, v.fromPos);
        return { PutRequest: { Item: { ...rest, sk, ...(end !== null ? { pt: end } : {}) } } };
      }),
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
