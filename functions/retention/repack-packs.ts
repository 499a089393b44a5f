import { DeleteObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { inParallel } from '#core/in-parallel.ts';
import { storedKey } from '#core/index/stored-key.ts';
import { indexKeys } from '#core/index-keys.ts';
import { PACKS_PREFIX, packDigest } from '#core/storage/body-keys.ts';
import type { BodyLocation } from '#core/storage/body-location.ts';
import { bodyOfFrame, PackError, type PackedBody } from '#core/storage/body-pack.ts';
import { isNotFound, listObjects } from '#functions/clients/bucket-objects.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import { s3 } from '#functions/clients/s3.ts';
import { queryAll } from '#functions/query/query-all.ts';
import type { PurgeTarget } from '#functions/retention/purge-mailbox.ts';
import {
  liveBodies,
  locateBodies,
  moveLocation,
  PACK_TARGET_BYTES,
  putPack,
  readBytes,
  trailerOf,
} from '#functions/storage/body-store.ts';

export interface RepackOptions {
  /** A pack whose live bodies are less than this share of its bytes is repacked. */
  readonly liveBelow: number;
  /**
   * A pack smaller than this is merged with others: the indexer writes a pack per segment it indexes, small
   * on a quiet server, and a mailbox spread over many small packs costs a request each to restore.
   */
  readonly smallBelow: number;
  /** The most pack bytes one purge reads: what is left waits for the next (a purge ends within its time). */
  readonly maxReadBytes: number;
  readonly targetBytes: number;
}

export const DEFAULT_REPACK: RepackOptions = {
  liveBelow: 0.5,
  smallBelow: PACK_TARGET_BYTES / 2,
  maxReadBytes: 2 * 1024 * 1024 * 1024,
  targetBytes: PACK_TARGET_BYTES,
};

export interface RepackReport {
  packsExamined: number;
  /** Packs whose live bodies were copied into new packs, then deleted. */
  packsRepacked: number;
  /** Packs nothing was live in any more, deleted without copying. */
  packsDeleted: number;
  packsWritten: number;
  bodiesMoved: number;
  /** Bytes of the packs deleted, less the bytes of the packs written. */
  packBytesFreed: number;
  /** Packs Object Lock or a legal hold keeps: looked at again by the next purge. */
  packsLocked: number;
  /** Packs left for the next purge (this one read its share). */
  packsLeft: number;
  /** Bodies that did not verify in their pack: left where they are (with their pack), for a coherency check. */
  bodiesDamaged: number;
  damaged?: string[];
}

interface Examined {
  readonly key: string;
  readonly size: number;
  readonly bodies: readonly PackedBody[];
  /** The bodies whose location is still this pack. */
  readonly live: readonly PackedBody[];
  /** Object Lock or a legal hold keeps it (only a small pack is repacked so, and then waits). */
  readonly locked?: boolean;
}

/**
 * Frees the bytes of bodies a purge dropped: every pack it touched, every pack an earlier purge left to Object
 * Lock, and every small pack is looked at; one with nothing live is deleted, one whose live share is low (or
 * that is small) has its live bodies copied into new packs — each verified against its digest, each
 * location moved only if it still names the old pack — and is deleted once no location names it. Race-safe
 * against the indexer, which never writes into an existing pack and writes a location only for a body that
 * has none. A dry run says what it would do.
 */
export async function repackPacks(
  target: PurgeTarget,
  operationId: string,
  touched: ReadonlySet<string>,
  dryRun: boolean,
  options: RepackOptions = DEFAULT_REPACK,
): Promise<RepackReport> {
  const report: RepackReport = {
    packsExamined: 0,
    packsRepacked: 0,
    packsDeleted: 0,
    packsWritten: 0,
    bodiesMoved: 0,
    packBytesFreed: 0,
    packsLocked: 0,
    packsLeft: 0,
    bodiesDamaged: 0,
  };
  const listed = await listObjects(target.backupBucket, PACKS_PREFIX);
  const waiting = await waitingPacks(target.indexTable);
  const candidates = new Set<string>([...touched, ...waiting]);
  for (const [key, object] of listed) if (object.size < options.smallBelow) candidates.add(key);
  // Oldest first, so a backlog drains in order; within the read budget.
  const ordered = [...candidates]
    .filter((key) => packDigest(key) !== undefined && listed.has(key))
    .sort((a, b) => (listed.get(a)?.lastModified ?? 0) - (listed.get(b)?.lastModified ?? 0));
  for (const gone of [...waiting].filter((key) => !listed.has(key)))
    if (!dryRun) await stopWaiting(target.indexTable, gone);
  let budget = options.maxReadBytes;
  const toMove: Examined[] = [];
  for (const key of ordered) {
    const size = listed.get(key)?.size ?? 0;
    if (budget <= 0) {
      report.packsLeft++;
      continue;
    }
    report.packsExamined++;
    const examined = await examine(target, key, size);
    if (!examined) continue;
    const liveBytes = examined.live.reduce((n, b) => n + b.length, 0);
    const worth =
      examined.live.length === 0 || liveBytes < options.liveBelow * size || size < options.smallBelow;
    if (!worth) continue;
    const { locked, held } = await lockOf(target.backupBucket, key);
    // A small pack's live bodies are merged even under the lock (restores read fewer, larger packs); the
    // pack itself waits for its date. Anything else under the lock, and a pack under legal hold, is left as
    // it is until then.
    if (held || (locked && !(examined.live.length > 0 && size < options.smallBelow))) {
      report.packsLocked++;
      if (!dryRun) await wait(target.indexTable, key, operationId);
      continue;
    }
    if (waiting.has(key) && !locked && !dryRun) await stopWaiting(target.indexTable, key);
    if (examined.live.length === 0) {
      report.packsDeleted++;
      report.packBytesFreed += size;
      if (!dryRun) await deleteIfUnused(target, examined);
      continue;
    }
    budget -= size;
    toMove.push({ ...examined, locked });
  }
  // A small pack left alone among repacked ones is not worth a new pack of its own size: only merge when
  // there is something to merge or a pack to shrink.
  const merging = toMove.length > 1 || toMove.some((p) => p.size >= options.smallBelow);
  if (!merging) return report;
  if (dryRun) {
    for (const pack of toMove) {
      report.packsRepacked++;
      report.bodiesMoved += pack.live.length;
      report.packBytesFreed += pack.size - pack.live.reduce((n, b) => n + b.length, 0);
    }
    return report;
  }
  await moveBodies(target, operationId, toMove, options.targetBytes, report);
  return report;
}

/** The pack's bodies and which of them are live; undefined when the pack is gone or its trailer damaged. */
async function examine(target: PurgeTarget, key: string, size: number): Promise<Examined | undefined> {
  let bodies: PackedBody[];
  try {
    bodies = await trailerOf(target.backupBucket, key, size);
  } catch (error) {
    // A damaged trailer: the index still knows where its bodies are; a coherency check reports the pack.
    if (error instanceof PackError) return undefined;
    if (isNotFound(error)) return undefined;
    throw error;
  }
  return { key, size, bodies, live: await liveBodies(target.indexTable, key, bodies) };
}

async function lockOf(bucket: string, key: string): Promise<{ locked: boolean; held: boolean }> {
  const head = await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return {
    held: head.ObjectLockLegalHoldStatus === 'ON',
    locked:
      head.ObjectLockRetainUntilDate !== undefined && head.ObjectLockRetainUntilDate.getTime() > Date.now(),
  };
}

/**
 * Copies the live bodies of these packs into new packs (verified on the way), moves their locations, and
 * deletes each old pack once no location names it.
 */
async function moveBodies(
  target: PurgeTarget,
  operationId: string,
  packs: readonly Examined[],
  targetBytes: number,
  report: RepackReport,
): Promise<void> {
  let batch: { sha256: string; content: Buffer; from: BodyLocation }[] = [];
  let batchBytes = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const pending = batch;
    batch = [];
    batchBytes = 0;
    const pack = await putPack(target.backupBucket, pending);
    report.packsWritten++;
    report.packBytesFreed -= pack.size;
    const from = new Map(pending.map((b) => [b.sha256, b.from]));
    const at = new Date().toISOString();
    await inParallel(pack.bodies, 8, async (body) => {
      const old = from.get(body.sha256);
      if (old && (await moveLocation(target.indexTable, old, body, at))) report.bodiesMoved++;
    });
  };
  for (const pack of packs) {
    const bytes = await readBytes(target.backupBucket, pack.key, 0, pack.size).catch((error: unknown) => {
      if (isNotFound(error)) return undefined;
      throw error;
    });
    if (!bytes) continue;
    for (const body of pack.live) {
      let content: Buffer;
      try {
        content = bodyOfFrame(bytes.subarray(body.offset, body.offset + body.length), body);
      } catch (error) {
        if (!(error instanceof PackError)) throw error;
        report.bodiesDamaged++;
        report.damaged = [...(report.damaged ?? []), `${body.sha256} in ${pack.key}: ${error.message}`];
        continue;
      }
      if (batch.length > 0 && batchBytes + content.length > targetBytes) await flush();
      batch.push({ sha256: body.sha256, content, from: { ...body, pack: pack.key } });
      batchBytes += content.length;
    }
  }
  await flush();
  for (const pack of packs) {
    if (pack.locked) {
      // Its bodies are read from the new pack now; the bytes go once the lock lets them.
      report.packsRepacked++;
      report.packsLocked++;
      await wait(target.indexTable, pack.key, operationId);
      continue;
    }
    if (await deleteIfUnused(target, pack)) {
      report.packsRepacked++;
      report.packBytesFreed += pack.size;
    }
  }
}

/** Deletes the pack if no location names it any more; whether it did. */
async function deleteIfUnused(target: PurgeTarget, pack: Examined): Promise<boolean> {
  const located = await locateBodies(
    target.indexTable,
    pack.bodies.map((b) => b.sha256),
  );
  if ([...located.values()].some((at) => at.pack === pack.key)) return false;
  await s3().send(new DeleteObjectCommand({ Bucket: target.backupBucket, Key: pack.key }));
  return true;
}

async function waitingPacks(table: string): Promise<Set<string>> {
  const { items } = await queryAll({
    TableName: table,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': indexKeys.waitingPacks },
    ConsistentRead: true,
  });
  return new Set(items.map((i) => storedKey(i).sk));
}

async function wait(table: string, key: string, operationId: string): Promise<void> {
  await dynamodb().send(
    new PutCommand({ TableName: table, Item: { pk: indexKeys.waitingPacks, sk: key, since: operationId } }),
  );
}

async function stopWaiting(table: string, key: string): Promise<void> {
  await dynamodb().send(
    new DeleteCommand({ TableName: table, Key: { pk: indexKeys.waitingPacks, sk: key } }),
  );
}
