import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { inParallel } from '#core/in-parallel.ts';
import { segmentEnd } from '#core/index/catalog-entries.ts';
import { parseRedoPosition } from '#core/index/redo-position.ts';
import { indexKeys } from '#core/index-keys.ts';
import { cutOfBaseScanId } from '#core/retention/base-scan-id.ts';
import { listCatalog } from '#functions/catalog/catalog-store.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';

/**
 * Where a reindex of a server starts when a retention purge removed the oldest redo: the newest cut a purge
 * wrote base snapshots for, provided the redo up to it is not whole any more (a segment before it is
 * purged, or the one ending there is gone from the catalog, as after a lost table). Undefined: the whole
 * stream is there, indexed from its start.
 */
export async function baseStart(table: string, serverId: string): Promise<string | undefined> {
  const consistent = { consistent: true };
  // A purge's base snapshots sit at each mailbox's own cut; their scan id names the server's, where to start.
  const bases = (await listCatalog(table, serverId, 'scan', consistent))
    .filter((s) => s.scanKind === 'base' && s.state !== 'purged')
    .flatMap((s) => cutOfBaseScanId(s.scanId) ?? [])
    .sort();
  const base = bases.at(-1);
  if (base === undefined) return undefined;
  const segments = (await listCatalog(table, serverId, 'segment', consistent)).map((s) => ({
    end: segmentEnd(s),
    purged: s.state === 'purged',
  }));
  const cut =
    segments.some((s) => s.end <= base && s.purged) || !segments.some((s) => s.end === base && !s.purged);
  return cut ? base : undefined;
}

/**
 * Starts the server's cursor at a base position, and sets aside the scan snapshots before it: applied after
 * the base they would put back an older state (the base has what they said, as of a later point).
 */
export async function startAtBase(table: string, serverId: string, base: string): Promise<number> {
  const { seq, offset } = parseRedoPosition(base);
  await dynamodb().send(
    new UpdateCommand({
      TableName: table,
      Key: { pk: indexKeys.server(serverId), sk: indexKeys.cursor },
      UpdateExpression:
        'SET #seq = :seq, #offset = :offset, #pending = :none, #segments = :zero, #state = :ok',
      // Names for all: several are reserved words.
      ExpressionAttributeNames: {
        '#seq': 'seq',
        '#offset': 'offset',
        '#pending': 'pending',
        '#segments': 'segments',
        '#state': 'state',
      },
      ExpressionAttributeValues: {
        ':seq': String(seq),
        ':offset': String(offset),
        ':none': [],
        ':zero': 0,
        ':ok': 'ok',
      },
    }),
  );
  const older = (await listCatalog(table, serverId, 'scan', { consistent: true, upTo: base })).filter(
    (s) => s.state === 'pending' && s.position < base,
  );
  await inParallel(older, 8, async (scan) => {
    await dynamodb().send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: scan.pk, sk: scan.sk },
        UpdateExpression: 'SET #state = :skipped, reason = :why',
        ConditionExpression: '#state = :pending',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':skipped': 'skipped',
          ':pending': 'pending',
          ':why': `before the base snapshots at ${base} the reindex started from (the redo before them was purged)`,
        },
      }),
    );
  });
  return older.length;
}
