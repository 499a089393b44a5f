import type { RedoRange, RestorePoints } from '#core/control-api.ts';
import { bridgeOf, quarantineOf, uncertainOf } from '#core/index/server-marks.ts';
import { countByOp } from '#core/index/undecoded-record.ts';
import { indexKeys, keyPrefixes } from '#core/index-keys.ts';
import { listCatalog } from '#functions/catalog/catalog-store.ts';
import { awaitedMailboxes, liveMailboxIds } from '#functions/query/live-mailboxes.ts';
import { queryAll } from '#functions/query/query-all.ts';
import { readServerIndexState, type ServerIndexState } from '#functions/query/server-index-state.ts';

/**
 * What a server can be restored to (the zmbackupquery analog): redo ranges with their times and sizes, LDAP
 * dumps, and whatever holds indexing back. Optionally limited to [from, to] (ISO times).
 */
export async function listRestorePoints(
  table: string,
  serverId: string,
  window: { from?: string; to?: string } = {},
  /** Where the index stands, when the caller has read it already (for the server's status too). */
  state?: ServerIndexState,
): Promise<RestorePoints> {
  const pk = indexKeys.server(serverId);
  const byPrefix = (prefix: string) =>
    queryAll({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
    }).then((r) => r.items);
  const [{ segments, cursor, reindex }, dumps, quarantine, bridges, uncertain] = await Promise.all([
    state ?? readServerIndexState(table, serverId),
    listCatalog(table, serverId, 'ldap-dump'),
    byPrefix(keyPrefixes.quarantine),
    byPrefix(keyPrefixes.bridge),
    byPrefix(keyPrefixes.uncertain),
  ]);
  const marks = uncertain
    .map(uncertainOf)
    .map((i) => ({
      cause: i.cause,
      s3Key: i.s3Key,
      offset: i.offset,
      op: i.op,
      version: i.version,
      mailboxId: i.mailboxId,
      reason: i.reason,
      ...(i.restatedAt !== undefined ? { restatedAt: i.restatedAt } : {}),
    }))
    .sort((a, b) => a.s3Key.localeCompare(b.s3Key) || a.offset - b.offset);
  const undecoded = marks.filter((m) => m.cause === undefined).map(({ cause: _, ...m }) => m);
  const resultNotRecorded = marks
    .filter((m) => m.cause === 'result-not-recorded')
    .map(({ cause: _, ...m }) => m);
  const live = bridges.length > 0 ? await liveMailboxIds(table, serverId) : new Set<string>();
  const inWindow = (from: string, to: string) =>
    (window.to === undefined || from <= window.to) && (window.from === undefined || to >= window.from);
  const redo: RedoRange[] = [];
  let run: RedoRange | undefined;
  let waiting = 0;
  let purged = 0;
  let purgedUntil: string | undefined;
  for (const item of segments) {
    if (item.state === 'purged') {
      // Older than every retention: the index still holds what retention keeps, the raw redo is gone.
      purged++;
      purgedUntil = item.lastOpTime ?? item.shippedAt;
      run = undefined;
      continue;
    }
    if (item.state !== 'indexed') {
      waiting++;
      run = undefined;
      continue;
    }
    const from = item.firstOpTime ?? item.shippedAt;
    const to = item.lastOpTime ?? from;
    if (run) {
      if (to > run.to) run.to = to;
      run.lastSeq = item.seq;
      run.segments++;
      run.bytes += item.size;
      run.storedBytes += item.storedSize;
    } else {
      run = {
        from,
        to,
        firstSeq: item.seq,
        lastSeq: item.seq,
        segments: 1,
        bytes: item.size,
        storedBytes: item.storedSize,
      };
      redo.push(run);
    }
  }
  return {
    serverId,
    redo: redo.filter((r) => inWindow(r.from, r.to)),
    ldapDumps: dumps
      .filter((i) => inWindow(i.dumpedAt, i.dumpedAt))
      .map((i) => ({ dumpedAt: i.dumpedAt, entries: i.entries, bytes: i.size, storedBytes: i.storedSize })),
    purged: { segments: purged, ...(purgedUntil ? { until: purgedUntil } : {}) },
    waiting: {
      segments: waiting,
      // While a reindex runs, queries answer from the part of the index rebuilt so far.
      state: reindex ? 'reindexing' : (cursor?.state ?? 'not started'),
      ...(reindex
        ? {
            reindex: { operationId: reindex.operationId, phase: reindex.phase, startedAt: reindex.startedAt },
          }
        : {}),
      ...(cursor?.reason ? { reason: cursor.reason } : {}),
      ...(cursor ? { at: { seq: cursor.seq, offset: cursor.offset } } : {}),
    },
    quarantined: quarantine.map(quarantineOf).map((i) => ({
      segment: i.segment,
      s3Key: i.s3Key,
      reason: i.reason,
      since: i.since,
    })),
    notApplied: sumCounts(segments.map((i) => i.indexed?.notApplied)),
    undecoded: { byOp: countByOp(undecoded), records: undecoded },
    resultNotRecorded: { byOp: countByOp(resultNotRecorded), records: resultNotRecorded },
    bridges: bridges.map(bridgeOf).map((i) => ({
      from: i.from,
      to: i.to,
      reason: i.reason,
      bridgedAt: i.bridgedAt,
      ...(i.requestedBy !== undefined ? { requestedBy: i.requestedBy } : {}),
      mailboxes: i.mailboxes,
      unscanned: awaitedMailboxes(i.unscanned, live),
    })),
  };
}

function sumCounts(counts: (Record<string, number> | undefined)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of counts) for (const [op, n] of Object.entries(c ?? {})) out[op] = (out[op] ?? 0) + n;
  return out;
}
