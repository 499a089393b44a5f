import { z } from 'zod';
import { SCAN_KINDS } from '#core/scan/scan-snapshot.ts';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, { message: 'expected a lowercase hex SHA-256' });
const decimal = z
  .string()
  .regex(/^(0|[1-9]\d{0,18})$/, { message: 'expected a non-negative decimal integer' });
/** As the agent's configuration accepts it: no `#` or `/`, which index keys and S3 keys use as separators. */
const serverId = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, { message: 'expected 1–64 of A-Z a-z 0-9 . _ -' });

/**
 * What the agent announces on the FIFO ingest queue after a redo segment is durable in S3.
 * Sequence numbers and offsets are i64 on the server: carried as decimal strings to stay exact.
 */
export const segmentAnnouncementSchema = z.strictObject({
  type: z.literal('redo-segment'),
  serverId,
  seq: decimal,
  firstOffset: decimal,
  lastOffset: decimal,
  key: z.string().min(1).max(1024),
  sha256: sha256Hex,
  size: z.number().int().nonnegative(),
  storedSize: z.number().int().nonnegative(),
  codec: z.enum(['zstd', 'gzip', 'none']),
  firstOpTime: z.iso.datetime().optional(),
  lastOpTime: z.iso.datetime().optional(),
  shippedAt: z.iso.datetime(),
});

export type SegmentAnnouncement = z.output<typeof segmentAnnouncementSchema>;

/**
 * A redo file was rolled over and shipped to its end: its final header (512 bytes, `open` = 0 and the
 * final size, unless the server crashed) is stored so the file can be rebuilt byte for byte.
 */
export const sealAnnouncementSchema = z.strictObject({
  type: z.literal('redo-seal'),
  serverId,
  seq: decimal,
  size: decimal,
  torn: z.boolean(),
  key: z.string().min(1).max(1024),
  sha256: sha256Hex,
  storedSize: z.number().int().nonnegative(),
  shippedAt: z.iso.datetime(),
});

export type SealAnnouncement = z.output<typeof sealAnnouncementSchema>;

/** What every announcement of a stored, compressed object says about it. */
const storedObject = {
  serverId,
  key: z.string().min(1).max(1024),
  sha256: sha256Hex,
  size: z.number().int().nonnegative(),
  storedSize: z.number().int().nonnegative(),
  codec: z.enum(['zstd', 'gzip', 'none']),
};

/** An LDAP dump (LDIF, compressed) is durable in S3. */
export const ldapDumpAnnouncementSchema = z.strictObject({
  type: z.literal('ldap-dump'),
  ...storedObject,
  entries: z.number().int().nonnegative(),
  dumpedAt: z.iso.datetime(),
  shippedAt: z.iso.datetime(),
});

export type LdapDumpAnnouncement = z.output<typeof ldapDumpAnnouncementSchema>;

/**
 * A scan snapshot (one mailbox as the server's database held it) is durable in S3. It is announced in its
 * place in the redo stream: after the segment ending at `seq`/`offset`, before any later one.
 */
export const scanAnnouncementSchema = z.strictObject({
  type: z.literal('scan-snapshot'),
  ...storedObject,
  seq: decimal,
  offset: decimal,
  scanId: z.string().regex(/^[A-Za-z0-9._-]{1,80}$/),
  scanKind: z.enum(SCAN_KINDS),
  mailboxId: z
    .number()
    .int()
    .min(1)
    .max(2 ** 31 - 1),
  accountId: z.string().min(1).max(127),
  items: z.number().int().nonnegative(),
  takenAt: z.iso.datetime(),
  shippedAt: z.iso.datetime(),
});

export type ScanAnnouncement = z.output<typeof scanAnnouncementSchema>;

/**
 * A pack of message bodies a scan read from the server's blob store (`offsite-pack/1`, not compressed as a
 * whole: its frames are) is durable in S3. The indexer checks every body against its digest and keeps the
 * ones it has no copy of in its own packs; the agent's pack is then an input consumed, like a scan snapshot.
 */
export const bodyPackAnnouncementSchema = z.strictObject({
  type: z.literal('body-pack'),
  ...storedObject,
  bodies: z.number().int().positive(),
  packedAt: z.iso.datetime(),
  shippedAt: z.iso.datetime(),
});

export type BodyPackAnnouncement = z.output<typeof bodyPackAnnouncementSchema>;

/** The indexer ran out of time with segments left: it asks itself, in the server's group, to go on. */
export const indexContinueSchema = z.strictObject({
  type: z.literal('index-continue'),
  serverId,
});

export type IndexContinue = z.output<typeof indexContinueSchema>;

/**
 * An operator accepts that redo is lost at a gap and lets indexing go on after it (the control API queues it
 * in the server's group, so it runs in order with the indexing). It applies only while the cursor still
 * stands at the gap it names.
 */
export const indexBridgeSchema = z.strictObject({
  type: z.literal('index-bridge'),
  serverId,
  seq: decimal,
  offset: decimal,
  requestedAt: z.iso.datetime(),
  /** Who accepted the loss (the caller's IAM ARN), recorded with the bridge. */
  requestedBy: z.string().max(2048).optional(),
});

export type IndexBridge = z.output<typeof indexBridgeSchema>;

/**
 * Rebuild a server's index from what its bucket holds (a reindex operation's share, queued by the planner in
 * the server's group, so it runs in order with the indexing): the derived index is wiped, the catalog
 * completed from the bucket, and the stream indexed again from the start (or from redo file `fromSeq`).
 * `round` counts the continuations of a wipe too large for one invocation.
 */
export const indexResetSchema = z.strictObject({
  type: z.literal('index-reset'),
  serverId,
  operationId: z.uuid(),
  index: z.number().int().nonnegative(),
  total: z.number().int().positive(),
  fromSeq: decimal.optional(),
  round: z.number().int().nonnegative().default(0),
});

export type IndexReset = z.output<typeof indexResetSchema>;

/** Everything the ingest queue carries. */
export const ingestMessageSchema = z.discriminatedUnion('type', [
  segmentAnnouncementSchema,
  sealAnnouncementSchema,
  ldapDumpAnnouncementSchema,
  scanAnnouncementSchema,
  bodyPackAnnouncementSchema,
  indexContinueSchema,
  indexBridgeSchema,
  indexResetSchema,
]);

export type IngestMessage = z.output<typeof ingestMessageSchema>;
