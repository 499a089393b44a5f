import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { IndexReset } from '#core/announcement.ts';
import { indexKeys } from '#core/index-keys.ts';
import { parseOrThrow } from '#core/validation.ts';
import { listCatalog } from '#functions/catalog/catalog-store.ts';
import { dynamodb, isConditionFailed } from '#functions/clients/dynamodb.ts';
import type { AdvanceOutcome } from '#functions/index/advance-server.ts';
import { baseStart, startAtBase } from '#functions/index/base-start.ts';
import { indexLdapDump } from '#functions/index/index-ldap-dump.ts';
import type { IndexTarget } from '#functions/index/index-segment.ts';
import { type CatalogRebuild, rebuildCatalog } from '#functions/index/rebuild-catalog.ts';
import { type CatalogReset, resetCatalog } from '#functions/index/reset-catalog.ts';
import { wipeServerIndex } from '#functions/index/wipe-server-index.ts';
import { type ReportTarget, reportServerShare } from '#functions/operations/server-share.ts';
import { relocateBodies } from '#functions/storage/relocate-bodies.ts';

/** A reindex under way, kept in the server's partition until its share is reported. */
export interface ReindexMarker {
  operationId: string;
  index: number;
  total: number;
  fromSeq?: string;
  /** The redo position it started from: where a retention purge wrote base snapshots and cut the redo. */
  base?: string;
  /** wiping: the old index is being deleted (indexing waits); indexing: the stream is taken in again. */
  phase: 'wiping' | 'indexing';
  startedAt: string;
  /** Index items deleted so far. */
  wiped: number;
  /** Body locations given back from the packs' trailers, and the last pack read (in rounds, as the wipe). */
  located?: number;
  relocatedThrough?: string;
  catalog?: {
    objects: number;
    recorded: number;
    unreadable: { key: string; reason: string }[];
  } & CatalogReset;
}

// Loose objects: fields written later than this reader keep their values when the marker is written back.
const reindexMarkerSchema = z.looseObject({
  operationId: z.string(),
  index: z.number(),
  total: z.number(),
  fromSeq: z.string().optional(),
  base: z.string().optional(),
  phase: z.enum(['wiping', 'indexing']),
  startedAt: z.string(),
  wiped: z.number(),
  located: z.number().optional(),
  relocatedThrough: z.string().optional(),
  catalog: z
    .looseObject({
      objects: z.number(),
      recorded: z.number(),
      unreadable: z.array(z.object({ key: z.string(), reason: z.string() })),
      segments: z.number(),
      scans: z.number(),
      ldapDumps: z.number(),
    })
    .optional(),
});

export type ResetStep =
  /** The wipe goes on in another round (it did not fit in this invocation). */
  | { state: 'wiping'; wiped: number }
  /** The index is empty and the catalog complete: the stream is indexed again from here. */
  | { state: 'indexing'; marker: ReindexMarker }
  /** An older message of a reindex another one has replaced: nothing to do. */
  | { state: 'superseded' };

/** Stops deleting this long before the deadline: the catalog work after the wipe takes a few seconds. */
const WIPE_RESERVE_MS = 20_000;

/**
 * The first part of a server's reindex, run in the server's message group (so no segment of it is indexed
 * meanwhile): marks the reindex, wipes the index its stream produced (in rounds if large), completes the
 * catalog from the bucket, sets every entry back to "announced", and starts the cursor at `fromSeq` when
 * given, else at the base snapshots a retention purge wrote where it cut the redo (when it did). Indexing then goes on like after any announcement; `finishReindex` reports when it has caught up.
 */
export async function resetServer(
  target: IndexTarget,
  message: IndexReset,
  deadline: number,
): Promise<ResetStep> {
  const pk = indexKeys.server(target.serverId);
  let marker = await readReindex(target);
  if (marker && marker.operationId !== message.operationId && message.round > 0)
    return { state: 'superseded' };
  if (marker?.operationId === message.operationId && marker.phase === 'indexing')
    return { state: 'indexing', marker }; // a redelivered message: the reset is done
  if (marker?.operationId !== message.operationId) {
    marker = {
      operationId: message.operationId,
      index: message.index,
      total: message.total,
      ...(message.fromSeq !== undefined ? { fromSeq: message.fromSeq } : {}),
      phase: 'wiping',
      startedAt: new Date().toISOString(),
      wiped: 0,
    };
    await dynamodb().send(
      new PutCommand({ TableName: target.table, Item: { pk, sk: indexKeys.reindex, ...marker } }),
    );
  }
  const wipe = await wipeServerIndex(target.table, target.serverId, deadline - WIPE_RESERVE_MS);
  marker.wiped += wipe.deleted;
  if (!wipe.done) {
    await updateMarker(target, marker, { wiped: marker.wiped });
    return { state: 'wiping', wiped: marker.wiped };
  }
  // Bodies are located from the packs' trailers before anything is indexed again, so that the stream's
  // bodies are found where they are (not packed a second time) and scans' bodies are located at all.
  const relocation = await relocateBodies(
    { bucket: target.bucket, table: target.table },
    marker.relocatedThrough,
    deadline - WIPE_RESERVE_MS,
  );
  marker.located = (marker.located ?? 0) + relocation.located;
  if (!relocation.done) {
    marker.relocatedThrough = relocation.last;
    await updateMarker(target, marker, {
      wiped: marker.wiped,
      located: marker.located,
      ...(relocation.last ? { relocatedThrough: relocation.last } : {}),
    });
    return { state: 'wiping', wiped: marker.wiped };
  }
  const rebuilt: CatalogRebuild = await rebuildCatalog(target);
  const reset = await resetCatalog(target.table, target.serverId);
  if (marker.fromSeq !== undefined)
    await dynamodb().send(
      new PutCommand({
        TableName: target.table,
        Item: {
          pk,
          sk: indexKeys.cursor,
          seq: marker.fromSeq,
          offset: '0',
          pending: [],
          segments: 0,
          state: 'ok',
        },
      }),
    );
  else {
    const base = await baseStart(target.table, target.serverId);
    if (base !== undefined) {
      await startAtBase(target.table, target.serverId, base);
      marker.base = base;
    }
  }
  marker.phase = 'indexing';
  marker.catalog = {
    objects: rebuilt.objects,
    recorded: rebuilt.recorded,
    unreadable: rebuilt.unreadable.slice(0, 50),
    ...reset,
  };
  await updateMarker(target, marker, {
    wiped: marker.wiped,
    phase: 'indexing',
    catalog: marker.catalog,
    ...(marker.base ? { base: marker.base } : {}),
  });
  return { state: 'indexing', marker };
}

export async function readReindex(
  target: Pick<IndexTarget, 'table' | 'serverId'>,
): Promise<ReindexMarker | undefined> {
  const out = await dynamodb().send(
    new GetCommand({
      TableName: target.table,
      Key: { pk: indexKeys.server(target.serverId), sk: indexKeys.reindex },
      ConsistentRead: true,
    }),
  );
  if (!out.Item) return undefined;
  const { pk: _pk, sk: _sk, ...marker } = out.Item;
  return parseOrThrow(reindexMarkerSchema, marker, `reindex marker of ${target.serverId}`);
}

async function updateMarker(
  target: IndexTarget,
  marker: ReindexMarker,
  fields: Partial<ReindexMarker>,
): Promise<void> {
  const entries = Object.entries(fields);
  await dynamodb().send(
    new UpdateCommand({
      TableName: target.table,
      Key: { pk: indexKeys.server(target.serverId), sk: indexKeys.reindex },
      UpdateExpression: `SET ${entries.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
      ConditionExpression: 'operationId = :op',
      ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#f${i}`, k])),
      ExpressionAttributeValues: {
        ':op': marker.operationId,
        ...Object.fromEntries(entries.map(([, v], i) => [`:v${i}`, v])),
      },
    }),
  );
}

/**
 * During a reindex, the LDAP dumps not taken in yet, oldest first (each builds on the one before), until
 * the deadline. True when all are done.
 */
export async function indexPendingDumps(target: IndexTarget, deadline: number): Promise<boolean> {
  const pending = (
    await listCatalog(target.table, target.serverId, 'ldap-dump', { consistent: true })
  ).filter((d) => d.state === undefined);
  for (const [n, item] of pending.entries()) {
    // At least one dump per call, however late it starts: every invocation makes progress.
    if (n > 0 && Date.now() > deadline) return false;
    const result = await indexLdapDump(target, {
      type: 'ldap-dump',
      serverId: item.serverId,
      key: item.s3Key,
      sha256: item.sha256,
      size: item.size,
      storedSize: item.storedSize,
      codec: item.codec,
      entries: item.entries,
      dumpedAt: item.dumpedAt,
      shippedAt: item.shippedAt,
    });
    // A dump older than one indexed cannot enter the history: it is marked so it is not tried again.
    if (result.state === 'older')
      await dynamodb().send(
        new UpdateCommand({
          TableName: target.table,
          Key: { pk: item.pk, sk: item.sk },
          UpdateExpression: 'SET #state = :older',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':older': 'older' },
        }),
      );
  }
  return true;
}

/** What a finished reindex of one server reports with its operation. */
export interface ReindexSummary extends Record<string, unknown> {
  segments: number;
  ops: number;
  undecoded: Record<string, number>;
  scansApplied: number;
  scansRejected: number;
  ldapDumps: number;
  wiped: number;
  catalogRecorded: number;
  unreadable: { key: string; reason: string }[];
  cursor?: string;
  /** Started from base snapshots a retention purge wrote here (the redo before was purged). */
  base?: string;
  scansSkipped: number;
}

/**
 * The stream is indexed as far as it goes: the server's share of the reindex is reported (done when every
 * catalogued segment is in, failed with the reason at a gap or a quarantined segment), then the marker goes.
 */
export async function finishReindex(
  target: IndexTarget,
  operations: ReportTarget,
  marker: ReindexMarker,
  outcome: AdvanceOutcome,
): Promise<ReindexSummary> {
  const summary = await summarize(target, marker);
  const failed = outcome.state === 'gap' || outcome.state === 'quarantined';
  await reportServerShare(operations, marker.operationId, target.serverId, marker.index, {
    outcome: failed ? 'failed' : 'done',
    ...(failed
      ? {
          error: `indexing stopped at a ${outcome.state}: ${outcome.reason}${
            outcome.state === 'gap' && marker.fromSeq === undefined
              ? ' (when older redo was purged by retention, reindex from the first whole redo file with --from)'
              : ''
          }`,
        }
      : {}),
    summary,
    progress: {
      segments: summary.segments,
      ops: summary.ops,
      undecoded: Object.values(summary.undecoded).reduce((a, b) => a + b, 0),
    },
  });
  try {
    await dynamodb().send(
      new DeleteCommand({
        TableName: target.table,
        Key: { pk: indexKeys.server(target.serverId), sk: indexKeys.reindex },
        ConditionExpression: 'operationId = :op',
        ExpressionAttributeValues: { ':op': marker.operationId },
      }),
    );
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
  }
  return summary;
}

async function summarize(target: IndexTarget, marker: ReindexMarker): Promise<ReindexSummary> {
  const pk = indexKeys.server(target.serverId);
  const consistent = { consistent: true };
  const segments = (await listCatalog(target.table, target.serverId, 'segment', consistent)).filter(
    (s) => s.state === 'indexed',
  );
  const scans = await listCatalog(target.table, target.serverId, 'scan', consistent);
  const undecoded: Record<string, number> = {};
  for (const s of segments)
    for (const [op, n] of Object.entries(s.indexed?.undecoded ?? {}))
      undecoded[op] = (undecoded[op] ?? 0) + n;
  const cursor = (
    await dynamodb().send(new GetCommand({ TableName: target.table, Key: { pk, sk: indexKeys.cursor } }))
  ).Item;
  return {
    segments: segments.length,
    ops: segments.reduce((sum, s) => sum + (s.indexed?.ops ?? 0), 0),
    undecoded,
    scansApplied: scans.filter((s) => s.state === 'applied').length,
    scansRejected: scans.filter((s) => s.state === 'rejected').length,
    scansSkipped: scans.filter((s) => s.state === 'skipped').length,
    ldapDumps: (await listCatalog(target.table, target.serverId, 'ldap-dump', consistent)).filter(
      (d) => d.state === 'indexed',
    ).length,
    wiped: marker.wiped,
    catalogRecorded: marker.catalog?.recorded ?? 0,
    unreadable: marker.catalog?.unreadable ?? [],
    ...(cursor ? { cursor: `${String(cursor.seq)}:${String(cursor.offset)}` } : {}),
    ...(marker.base ? { base: marker.base } : {}),
  };
}
