import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { inParallel } from '#core/in-parallel.ts';
import { CATALOG_PREFIXES, type CatalogKind } from '#core/index/catalog-entries.ts';
import { indexKeys } from '#core/index-keys.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import { queryAll } from '#functions/query/query-all.ts';

/**
 * How each kind of catalog entry is set back to "not taken in yet": what indexing recorded on it goes, what
 * the announcement said stays. Entries a retention purge removed from the bucket stay purged.
 */
const RESETS = {
  segment: { from: ['indexed', 'quarantined'], set: 'announced', remove: ['indexed', 'reason'] },
  scan: {
    from: ['applied', 'rejected', 'skipped'],
    set: 'pending',
    remove: ['changes', 'details', 'late', 'appliedAt', 'reason', 'finishedAt'],
  },
  'ldap-dump': { from: ['indexed', 'quarantined', 'older'], set: undefined, remove: ['objects', 'reason'] },
} as const satisfies Partial<Record<CatalogKind, unknown>>;

export interface CatalogReset {
  segments: number;
  scans: number;
  ldapDumps: number;
}

/** Sets every catalog entry of a server back to how it was announced, so indexing takes it in again. */
export async function resetCatalog(table: string, serverId: string): Promise<CatalogReset> {
  const counts = { segment: 0, scan: 0, 'ldap-dump': 0 };
  for (const [kind, reset] of Object.entries(RESETS) as [
    keyof typeof RESETS,
    (typeof RESETS)[keyof typeof RESETS],
  ][]) {
    const { items } = await queryAll({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': indexKeys.server(serverId), ':p': CATALOG_PREFIXES[kind] },
      ProjectionExpression: 'pk, sk, #state',
      ExpressionAttributeNames: { '#state': 'state' },
      ConsistentRead: true,
    });
    const due = items.filter((i) => (reset.from as readonly unknown[]).includes(i.state));
    await inParallel(due, 8, async (item) => {
      const names: Record<string, string> = { '#state': 'state' };
      reset.remove.forEach((field, n) => {
        names[`#r${n}`] = field;
      });
      const removed = reset.remove.map((_, n) => `#r${n}`);
      await dynamodb().send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: item.pk, sk: item.sk },
          UpdateExpression:
            reset.set === undefined
              ? `REMOVE #state, ${removed.join(', ')}`
              : `SET #state = :state REMOVE ${removed.join(', ')}`,
          // Not purged meanwhile (a purge does not run with a reindex, but a lost race must not revive an entry).
          ConditionExpression: 'attribute_exists(pk) AND #state <> :purged',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':purged': 'purged', ...(reset.set ? { ':state': reset.set } : {}) },
        }),
      );
    });
    counts[kind] = due.length;
  }
  return { segments: counts.segment, scans: counts.scan, ldapDumps: counts['ldap-dump'] };
}
