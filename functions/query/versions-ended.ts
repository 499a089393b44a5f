import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { indexKeys, LATEST_END, LEGACY_VERSION_KEYS, scopeKeys, versionsEnded } from '#core/index-keys.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import { type Item, queryAll } from '#functions/query/query-all.ts';

export interface VersionFilter {
  /** A DynamoDB filter over the items (`k`, `dl`…), with its values. */
  expression: string;
  values: Record<string, unknown>;
}

/**
 * The closed versions of a scope that ended in [from, to] ms: one range of its partition. A server whose
 * index the indexer has not moved to keys by end time yet (see upgradeVersionKeys: at its next message)
 * still has versions under the old keys; they are read too, so no answer is wrong meanwhile.
 */
export async function versionsEndedIn(
  table: string,
  serverId: string,
  scope: number,
  span: { from: number; to?: number },
  filter?: VersionFilter,
): Promise<{ items: Item[]; readUnits: number }> {
  const { pk } = scopeKeys(serverId, scope);
  const read = (bounds: { from: string; to: string }) =>
    queryAll({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ...(filter ? { FilterExpression: filter.expression } : {}),
      ExpressionAttributeValues: { ':pk': pk, ':from': bounds.from, ':to': bounds.to, ...filter?.values },
    });
  const [current, marker] = await Promise.all([
    read(versionsEnded(span.from, span.to)),
    dynamodb().send(
      new GetCommand({
        TableName: table,
        Key: { pk: indexKeys.server(serverId), sk: indexKeys.versionKeys },
      }),
    ),
  ]);
  if (marker.Item) return current;
  const to = span.to ?? LATEST_END;
  const old = await read(LEGACY_VERSION_KEYS);
  // Mid-move a version is under both keys for a moment: the new one counts.
  const id = (i: Item) => `${String(i.k)}\n${String(i.fp)}`;
  const moved = new Set(current.items.map(id));
  const ended = old.items.filter(
    (i) => typeof i.tt === 'number' && i.tt >= span.from && i.tt <= to && !moved.has(id(i)),
  );
  return { items: [...current.items, ...ended], readUnits: current.readUnits + old.readUnits };
}
