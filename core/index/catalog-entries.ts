import { z } from 'zod';
import type {
  BodyPackAnnouncement,
  LdapDumpAnnouncement,
  ScanAnnouncement,
  SealAnnouncement,
  SegmentAnnouncement,
} from '#core/announcement.ts';
import { redoPosition } from '#core/index/redo-position.ts';
import { indexKeys, keyPrefixes } from '#core/index-keys.ts';
import { parseOrThrow } from '#core/validation.ts';

// The catalog: one item per object a server's agent (or an import, or a purge's base snapshots) stored, in
// the server's partition. Written once by `catalogItem` when the announcement is confirmed; its state and
// the indexer's results are updated in place later. Read back only through `catalogEntryOf`, which checks
// the fields readers rely on (other fields pass through).

const keyed = { pk: z.string(), sk: z.string() };
const codec = z.enum(['zstd', 'gzip', 'none']);
const stored = {
  ...keyed,
  serverId: z.string(),
  s3Key: z.string(),
  sha256: z.string(),
  storedSize: z.number(),
  shippedAt: z.string(),
};

const segmentSchema = z.looseObject({
  ...stored,
  type: z.literal('segment'),
  seq: z.string(),
  firstOffset: z.string(),
  lastOffset: z.string(),
  size: z.number(),
  codec,
  firstOpTime: z.string().optional(),
  lastOpTime: z.string().optional(),
  /** announced → indexed (or quarantined); purged once retention removed its object. */
  state: z.string(),
  /** What indexing it did (set with state indexed). */
  indexed: z
    .looseObject({
      notApplied: z.record(z.string(), z.number()).optional(),
      /** Transactions still open at its end: a purge cuts redo only where none is. */
      pending: z.number().optional(),
      ops: z.number().optional(),
      undecoded: z.record(z.string(), z.number()).optional(),
      /** A body stored before this segment that it linked a message to: no cut between the two. */
      linkedFrom: z.string().optional(),
    })
    .optional(),
});

const sealSchema = z.looseObject({
  ...stored,
  type: z.literal('seal'),
  seq: z.string(),
  /** The file's final size (decimal). */
  size: z.string(),
  torn: z.boolean(),
  state: z.string().optional(),
});

const scanChanges = z.object({
  added: z.number(),
  changed: z.number(),
  deleted: z.number(),
  unchanged: z.number(),
  mailboxAdded: z.boolean(),
});

const scanSchema = z.looseObject({
  ...stored,
  type: z.literal('scan'),
  position: z.string(),
  seq: z.string(),
  offset: z.string(),
  size: z.number(),
  codec,
  scanId: z.string(),
  scanKind: z.string(),
  mailboxId: z.number(),
  accountId: z.string(),
  items: z.number(),
  takenAt: z.string(),
  /** pending → applied, rejected or skipped; purged once retention removed its object. */
  state: z.string(),
  late: z.boolean().optional(),
  changes: scanChanges.optional(),
  reason: z.string().optional(),
  details: z
    .array(z.object({ key: z.string(), change: z.string(), fields: z.array(z.string()).optional() }))
    .optional(),
});

const bodyPackSchema = z.looseObject({
  ...stored,
  type: z.literal('body-pack'),
  size: z.number(),
  bodies: z.number(),
  packedAt: z.string(),
  /** pending → applied (or unreadable); purged once its bodies are in the indexer's packs. */
  state: z.string(),
});

const ldapDumpSchema = z.looseObject({
  ...stored,
  type: z.literal('ldap-dump'),
  size: z.number(),
  codec,
  entries: z.number(),
  dumpedAt: z.string(),
  state: z.string().optional(),
});

const catalogEntrySchema = z.discriminatedUnion('type', [
  segmentSchema,
  sealSchema,
  scanSchema,
  bodyPackSchema,
  ldapDumpSchema,
]);

export type SegmentEntry = z.output<typeof segmentSchema>;
export type SealEntry = z.output<typeof sealSchema>;
export type ScanEntry = z.output<typeof scanSchema>;
export type BodyPackEntry = z.output<typeof bodyPackSchema>;
export type LdapDumpEntry = z.output<typeof ldapDumpSchema>;
export type CatalogEntry = z.output<typeof catalogEntrySchema>;
export type CatalogKind = CatalogEntry['type'];

export const CATALOG_KINDS = ['segment', 'seal', 'scan', 'body-pack', 'ldap-dump'] as const;

/** The sort-key prefix of each kind of catalog entry in a server's partition. */
export const CATALOG_PREFIXES: Record<CatalogKind, string> = {
  segment: keyPrefixes.segment,
  seal: keyPrefixes.seal,
  scan: keyPrefixes.scan,
  'body-pack': keyPrefixes.bodyPack,
  'ldap-dump': keyPrefixes.ldapDump,
};

export type EntryOf<K extends CatalogKind> = Extract<CatalogEntry, { type: K }>;

/** A catalog item as read from the table, checked; a malformed one is a ValidationError naming its key. */
export function catalogEntryOf(item: Record<string, unknown>): CatalogEntry {
  return parseOrThrow(catalogEntrySchema, item, `catalog item ${String(item.pk)} ${String(item.sk)}`);
}

/** A catalog item of an expected kind. */
export function catalogEntryOfKind<K extends CatalogKind>(
  kind: K,
  item: Record<string, unknown>,
): EntryOf<K> {
  const entry = catalogEntryOf(item);
  if (entry.type !== kind)
    return parseOrThrow(z.never(), entry, `catalog item ${entry.sk}: a ${entry.type}, expected a ${kind}`);
  return entry as EntryOf<K>;
}

/** Where a segment ends in the server's redo stream. */
export const segmentEnd = (segment: SegmentEntry): string => redoPosition(segment.seq, segment.lastOffset);

/** What the agent (or an import, or a purge) announces and the catalog records. */
export type CatalogAnnouncement =
  | SegmentAnnouncement
  | SealAnnouncement
  | ScanAnnouncement
  | BodyPackAnnouncement
  | LdapDumpAnnouncement;

/** The catalog entry of an announced object, as first recorded. */
export function catalogItem(m: CatalogAnnouncement): CatalogEntry {
  const common = {
    pk: indexKeys.server(m.serverId),
    serverId: m.serverId,
    s3Key: m.key,
    sha256: m.sha256,
    storedSize: m.storedSize,
    shippedAt: m.shippedAt,
  };
  switch (m.type) {
    case 'redo-segment':
      return {
        ...common,
        sk: indexKeys.segment(m.seq, m.firstOffset),
        type: 'segment',
        gsi1pk: `SEGTIME#${m.serverId}`,
        gsi1sk: m.firstOpTime ?? m.shippedAt,
        seq: m.seq,
        firstOffset: m.firstOffset,
        lastOffset: m.lastOffset,
        size: m.size,
        codec: m.codec,
        ...(m.firstOpTime !== undefined ? { firstOpTime: m.firstOpTime } : {}),
        ...(m.lastOpTime !== undefined ? { lastOpTime: m.lastOpTime } : {}),
        state: 'announced',
      };
    case 'redo-seal':
      return { ...common, sk: indexKeys.seal(m.seq), type: 'seal', seq: m.seq, size: m.size, torn: m.torn };
    case 'scan-snapshot':
      return {
        ...common,
        sk: indexKeys.scan(redoPosition(m.seq, m.offset), m.mailboxId, m.takenAt, m.scanId),
        type: 'scan',
        position: redoPosition(m.seq, m.offset),
        seq: m.seq,
        offset: m.offset,
        size: m.size,
        codec: m.codec,
        scanId: m.scanId,
        scanKind: m.scanKind,
        mailboxId: m.mailboxId,
        accountId: m.accountId,
        items: m.items,
        takenAt: m.takenAt,
        // Applied by the indexer once the redo before it is indexed, before any after it.
        state: 'pending',
      };
    case 'body-pack':
      return {
        ...common,
        sk: indexKeys.bodyPack(m.packedAt, m.sha256),
        type: 'body-pack',
        size: m.size,
        bodies: m.bodies,
        packedAt: m.packedAt,
        // Applied once its bodies are checked and kept in the indexer's packs; then a purge removes it.
        state: 'pending',
      };
    case 'ldap-dump':
      return {
        ...common,
        sk: indexKeys.ldapDump(m.dumpedAt),
        type: 'ldap-dump',
        size: m.size,
        codec: m.codec,
        entries: m.entries,
        dumpedAt: m.dumpedAt,
      };
  }
}
