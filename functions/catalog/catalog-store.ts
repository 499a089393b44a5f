import { ValidationError } from '#core/errors.ts';
import {
  CATALOG_PREFIXES,
  type CatalogKind,
  catalogEntryOfKind,
  type EntryOf,
} from '#core/index/catalog-entries.ts';
import { indexKeys } from '#core/index-keys.ts';
import { queryAll } from '#functions/query/query-all.ts';

export interface CatalogQuery {
  /** Strongly consistent (a purge or reindex deciding from it); default eventually consistent. */
  consistent?: boolean;
  /** Only entries whose sort key is at most this (a prefix of the kind's keys, such as a position). */
  upTo?: string;
  /** Told of an item that does not read as an entry of the kind, which is then left out; default: throw. */
  malformed?: (item: Record<string, unknown>, error: ValidationError) => void;
}

/** A server's catalog entries of one kind, in sort-key order, each checked. */
export async function listCatalog<K extends CatalogKind>(
  table: string,
  serverId: string,
  kind: K,
  query: CatalogQuery = {},
): Promise<EntryOf<K>[]> {
  const prefix = CATALOG_PREFIXES[kind];
  const { items } = await queryAll({
    TableName: table,
    KeyConditionExpression:
      query.upTo === undefined ? 'pk = :pk AND begins_with(sk, :p)' : 'pk = :pk AND sk BETWEEN :p AND :to',
    ExpressionAttributeValues: {
      ':pk': indexKeys.server(serverId),
      ':p': prefix,
      ...(query.upTo !== undefined ? { ':to': `${prefix}${query.upTo}` } : {}),
    },
    ...(query.consistent ? { ConsistentRead: true } : {}),
  });
  return items.flatMap((item) => {
    try {
      return [catalogEntryOfKind(kind, item)];
    } catch (error) {
      if (!(error instanceof ValidationError) || !query.malformed) throw error;
      query.malformed(item, error);
      return [];
    }
  });
}
