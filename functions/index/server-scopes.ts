import { DIRECTORY_SCOPE } from '#core/index/index-entity.ts';
import { indexKeys } from '#core/index-keys.ts';
import { queryAll } from '#functions/query/query-all.ts';

/**
 * Every scope a server's index has a partition for: its directory, and each mailbox it ever had (from the
 * mailboxes' own heads and versions in the server's partition, deleted mailboxes included).
 */
export async function serverScopes(table: string, serverId: string): Promise<Set<number>> {
  const scopes = new Set<number>([DIRECTORY_SCOPE]);
  for (const prefix of ['H#MBX#', 'V#MBX#']) {
    const { items } = await queryAll({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': indexKeys.server(serverId), ':p': prefix },
      ProjectionExpression: 'm',
      ConsistentRead: true,
    });
    for (const item of items) if (typeof item.m === 'number') scopes.add(item.m);
  }
  return scopes;
}
