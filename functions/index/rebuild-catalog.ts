import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { storedKey } from '#core/index/stored-key.ts';
import { indexKeys, keyPrefixes } from '#core/index-keys.ts';
import { parseLdif } from '#core/ldap/ldif.ts';
import { parseScanSnapshot, snapshotItemCount } from '#core/scan/scan-snapshot.ts';
import { parseServerObjectKey, type ServerObject, serverPrefix } from '#core/storage/server-keys.ts';
import { parseOrThrow } from '#core/validation.ts';
import { recordShipment, type ShipmentMessage } from '#functions/catalog/record-shipment.ts';
import { listObjects } from '#functions/clients/bucket-objects.ts';
import { s3 } from '#functions/clients/s3.ts';
import { getAll } from '#functions/index/batch-requests.ts';
import type { IndexTarget } from '#functions/index/index-segment.ts';
import { ingestBodyPack } from '#functions/index/ingest-body-pack.ts';
import { fetchPlaintext } from '#functions/index/segment-object.ts';
import { queryAll } from '#functions/query/query-all.ts';
import { trailerOf } from '#functions/storage/body-store.ts';

export interface CatalogRebuild {
  /** Objects the bucket holds for the server. */
  objects: number;
  /** Of those, entries the catalog lacked and now has again. */
  recorded: number;
  /** Keys under the server's prefix that name none of its objects, or objects that do not read: left alone. */
  unreadable: { key: string; reason: string }[];
}

type StoredCodec = 'zstd' | 'gzip' | 'none';

/**
 * Completes a server's catalog from its objects in the bucket: an object whose entry is missing (a lost or
 * restored table) is recorded as its announcement would have recorded it, read back from the object (its
 * key, its metadata, and for scans and LDAP dumps its content). Entries already there are left as they are.
 */
export async function rebuildCatalog(target: IndexTarget): Promise<CatalogRebuild> {
  const listed = await listObjects(target.bucket, serverPrefix(target.serverId));
  const result: CatalogRebuild = { objects: listed.size, recorded: 0, unreadable: [] };
  const named: { key: string; object: ServerObject; sk?: string; size: number; lastModified: number }[] = [];
  for (const [key, stat] of listed) {
    const object = parseServerObjectKey(target.serverId, key);
    if (!object) {
      result.unreadable.push({ key, reason: 'the key names no redo segment, seal, LDAP dump or scan' });
      continue;
    }
    named.push({ key, object, sk: catalogKey(object), ...stat });
  }
  const present = new Set(
    (
      await getAll(
        target.table,
        named.flatMap((n) => (n.sk ? [{ pk: indexKeys.server(target.serverId), sk: n.sk }] : [])),
      )
    ).map((item) => storedKey(item).sk),
  );
  // Scans are catalogued by their position, known only from the snapshot: an entry with their digest counts.
  const scansHeld = await catalogedScanDigests(target, named);
  for (const n of named) {
    if (n.sk === undefined ? scansHeld.has(n.object.sha256) : present.has(n.sk)) continue;
    try {
      const message = await announcementOf(target, n.key, n.object, n.size, n.lastModified);
      await recordShipment(message, { indexTable: target.table, backupBucket: target.bucket });
      if (message.type === 'body-pack') await ingestBodyPack(target, message);
      result.recorded++;
    } catch (error) {
      result.unreadable.push({ key: n.key, reason: (error as Error).message });
    }
  }
  return result;
}

/** The catalog entry's sort key; undefined for a scan, catalogued by a position only its content tells. */
function catalogKey(o: ServerObject): string | undefined {
  switch (o.kind) {
    case 'segment':
      return indexKeys.segment(o.seq, o.firstOffset);
    case 'seal':
      return indexKeys.seal(o.seq);
    case 'ldap-dump':
      return indexKeys.ldapDump(o.dumpedAt);
    case 'scan':
      return undefined;
    case 'body-pack':
      return indexKeys.bodyPack(o.packedAt, o.sha256);
  }
}

const scanDigest = z.object({ sha256: z.string() });

async function catalogedScanDigests(
  target: IndexTarget,
  named: readonly { object: ServerObject }[],
): Promise<Set<string>> {
  if (!named.some((n) => n.object.kind === 'scan')) return new Set();
  const { items } = await queryAll({
    TableName: target.table,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
    ExpressionAttributeValues: { ':pk': indexKeys.server(target.serverId), ':p': keyPrefixes.scan },
    ProjectionExpression: 'sha256',
    ConsistentRead: true,
  });
  return new Set(items.map((i) => parseOrThrow(scanDigest, i, 'scan item (its sha256)').sha256));
}

/** The announcement the agent sent for an object, as far as the object itself tells it. */
async function announcementOf(
  target: IndexTarget,
  key: string,
  o: ServerObject,
  storedSize: number,
  lastModified: number,
): Promise<ShipmentMessage> {
  const head = await s3().send(new HeadObjectCommand({ Bucket: target.bucket, Key: key }));
  const codec = (head.Metadata?.codec ?? 'none') as StoredCodec;
  const size = Number(head.Metadata?.size ?? storedSize);
  const common = {
    serverId: target.serverId,
    key,
    sha256: o.sha256,
    storedSize,
    shippedAt: new Date(lastModified).toISOString(),
  };
  switch (o.kind) {
    case 'segment':
      // The op times are read from the records when the segment is indexed.
      return {
        type: 'redo-segment',
        ...common,
        seq: o.seq,
        firstOffset: o.firstOffset,
        lastOffset: o.lastOffset,
        size,
        codec,
      };
    case 'seal':
      // Whether the file ended inside a record is the agent's observation; its last segment holds those bytes.
      return { type: 'redo-seal', ...common, seq: o.seq, size: o.size, torn: false };
    case 'ldap-dump': {
      const plain = await fetchPlaintext(target.bucket, key, o.sha256, codec);
      const entries = parseLdif(plain.toString('utf8')).length;
      return { type: 'ldap-dump', ...common, size, codec, entries, dumpedAt: o.dumpedAt };
    }
    case 'scan': {
      const plain = await fetchPlaintext(target.bucket, key, o.sha256, codec);
      const snapshot = parseScanSnapshot(plain.toString('utf8'));
      const h = snapshot.header;
      if (h.serverId !== target.serverId || h.accountId !== o.accountId)
        throw new Error(`the snapshot's header names server ${h.serverId}, account ${h.accountId}`);
      return {
        type: 'scan-snapshot',
        ...common,
        size,
        codec,
        seq: h.position.seq,
        offset: h.position.offset,
        scanId: h.scanId,
        scanKind: h.kind,
        mailboxId: h.mailboxId,
        accountId: h.accountId,
        items: snapshotItemCount(snapshot),
        takenAt: h.takenAt,
      };
    }
    case 'body-pack': {
      const bodies = await trailerOf(target.bucket, key, storedSize);
      return {
        type: 'body-pack',
        ...common,
        size: storedSize,
        codec: 'none',
        bodies: bodies.length,
        packedAt: o.packedAt,
      };
    }
  }
}
