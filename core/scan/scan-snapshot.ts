import { z } from 'zod';

// A scan snapshot: one mailbox as the server's database held it at one redo position, written by the agent
// as JSON lines (a header, then folders, tags, messages, contacts, calendar items, documents, notes and configuration, then a trailer with the counts, so a
// truncated object is refused) and read by the indexer, which treats it as untrusted input.

export const SCAN_FORMAT = 'offsite-scan/1';
/** What an agent's scan is. */
export type ScanKind = 'full' | 'smart';
/** Snapshot kinds: `base` is written by a retention purge from the index where the redo it removed ended. */
export const SCAN_KINDS = ['full', 'smart', 'base'] as const;

const decimal = z.string().regex(/^(0|[1-9]\d{0,18})$/);
const itemId = z
  .number()
  .int()
  .min(1)
  .max(2 ** 31 - 1);
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const shortText = z.string().max(1024);

export const scanHeaderSchema = z.strictObject({
  type: z.literal('header'),
  format: z.literal(SCAN_FORMAT),
  scanId: z.string().regex(/^[A-Za-z0-9._-]{1,80}$/),
  kind: z.enum(SCAN_KINDS),
  serverId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
  mailboxId: itemId,
  accountId: z.string().min(1).max(127),
  accountName: z.string().max(255),
  /** `zimbra.mailbox.change_checkpoint` when read: the next smart scan compares it. */
  changeCheckpoint: z.number().int().nonnegative(),
  /** The redo position the snapshot is taken at: everything committed before it is in the snapshot. */
  position: z.strictObject({ seq: decimal, offset: decimal }),
  takenAt: z.iso.datetime(),
  /** The mailbox is not on the server at the cut (deleted): the snapshot holds nothing else. */
  absent: z.literal(true).optional(),
});

/** A share of a folder, as scans, exports and restore bundles carry it (no guest secret). */
export const folderGrantSchema = z.strictObject({
  grantee: z.string().min(1).max(320).optional(),
  type: z.number().int().min(0).max(127),
  rights: z.number().int().min(0).max(65_535),
  expiry: z.number().int().positive().optional(),
});

/** An item's custom metadata sections (SetCustomData), each serialized as the server wrote it. */
export const customSectionsSchema = z
  .record(z.string().min(1).max(256), z.string().max(100_000))
  .refine((c) => Object.keys(c).length > 0, 'custom sections, when present, are not empty');

/** A retention rule: a system policy by id, or a user policy's lifetime (`30d`). */
export const retentionRuleSchema = z.union([
  z.strictObject({ id: z.string().min(1).max(127) }),
  z.strictObject({ lifetime: z.string().max(64) }),
]);

/** A folder, saved search (`search`) or mountpoint (`mount`), with the attributes that differ from defaults. */
/** A folder's attributes beyond its name and place, each absent at its default (scans and bundles alike). */
export const folderAttributesShape = {
  view: z.number().int().min(1).max(127).optional(),
  color: z.number().int().optional(),
  url: z.string().min(1).max(4096).optional(),
  grants: z.array(folderGrantSchema).min(1).max(1000).optional(),
  retention: z
    .strictObject({
      keep: z.array(retentionRuleSchema).max(100),
      purge: z.array(retentionRuleSchema).max(100),
    })
    .optional(),
  activeSyncDisabled: z.literal(true).optional(),
  webOfflineSyncDays: z.number().int().min(0).optional(),
  custom: customSectionsSchema.optional(),
};

export const scanFolderSchema = z.strictObject({
  type: z.literal('folder'),
  id: itemId,
  name: shortText,
  parentId: itemId,
  ...folderAttributesShape,
  search: z.strictObject({ query: z.string().max(65_536), types: shortText, sort: shortText }).optional(),
  mount: z
    .strictObject({
      ownerId: z.string().max(127),
      remoteId: z.number().int(),
      remoteUuid: z.string().min(1).max(127).optional(),
      reminder: z.literal(true).optional(),
    })
    .optional(),
});

export const scanTagSchema = z.strictObject({
  type: z.literal('tag'),
  id: z.number().int(),
  name: z.string().min(1).max(128),
});

export const scanMessageSchema = z.strictObject({
  type: z.literal('message'),
  id: itemId,
  folderId: itemId,
  flags: z.number().int(),
  tags: z.array(z.string().max(128)).max(1000),
  digest: z.string().max(64),
  size: z.number().int().nonnegative(),
  sha256: sha256Hex,
  receivedDate: z.number().int(),
  subject: shortText.optional(),
  from: shortText.optional(),
  /** Recipients (To and Cc), and the names of attachments: search hints, like subject and sender. */
  to: shortText.optional(),
  attachments: z.array(z.string().max(256)).max(50).optional(),
  custom: customSectionsSchema.optional(),
  /**
   * The real conversation the message is in, in the mailbox's own numbering (a server scan reads the row's
   * `parent_id`; a base snapshot keeps the index's); an export leaves it out.
   */
  conv: itemId.optional(),
});

export const scanContactSchema = z.strictObject({
  type: z.literal('contact'),
  id: itemId,
  folderId: itemId,
  fields: z.record(z.string().max(256), z.string().max(65_536)),
  sha256: sha256Hex.nullable(),
  custom: customSectionsSchema.optional(),
});

/** An appointment or task: its invites as the server encoded them (Zimbra metadata), series first. */
export const scanCalendarSchema = z.strictObject({
  type: z.literal('calendar'),
  id: itemId,
  folderId: itemId,
  itemType: z.enum(['appointment', 'task']),
  flags: z.number().int(),
  tags: z.array(z.string().max(128)).max(1000),
  uid: z.string().min(1).max(4096),
  invites: z.array(z.string().max(4_000_000)).min(1).max(10_000),
  custom: customSectionsSchema.optional(),
});

/** One revision of a document: what it was called, who saved it when, and its body's digests. */
export const documentRevisionSchema = z.strictObject({
  version: z.number().int().min(1),
  name: z.string().max(1024),
  contentType: z.string().max(1024),
  author: z.string().max(1024),
  date: z.number().int(),
  size: z.number().int().nonnegative(),
  digest: z.string().max(64),
  sha256: sha256Hex,
});

/** A Briefcase document with every revision the server keeps (the current one last). */
export const scanDocumentSchema = z.strictObject({
  type: z.literal('document'),
  id: itemId,
  folderId: itemId,
  itemType: z.enum(['document', 'wiki']),
  flags: z.number().int(),
  tags: z.array(z.string().max(128)).max(1000),
  name: z.string().max(1024),
  description: z.string().max(65_536),
  revisions: z.array(documentRevisionSchema).min(1).max(100_000),
  custom: customSectionsSchema.optional(),
});

/** A note, or a comment on a document (in the hidden Comments folder), as the server stored it. */
export const scanNoteSchema = z.strictObject({
  type: z.literal('note'),
  id: itemId,
  folderId: itemId,
  itemType: z.enum(['note', 'comment']),
  flags: z.number().int(),
  tags: z.array(z.string().max(128)).max(1000),
  text: z.string().max(1024),
  date: z.number().int(),
  color: z.number().int().optional(),
  bounds: z
    .string()
    .regex(/^-?\d{1,10}(,-?\d{1,10}){3}$/)
    .optional(),
  parentId: itemId.optional(),
  creatorId: z.string().max(127).optional(),
  custom: customSectionsSchema.optional(),
});

/**
 * A section of the mailbox's configuration (`mailbox_metadata`: IMAP subscriptions, contact rankings, an
 * application's settings), its metadata as the server wrote it. Sections holding secrets are never written.
 */
export const scanConfigSchema = z.strictObject({
  type: z.literal('config'),
  section: z.string().min(1).max(64),
  metadata: z.string().max(4_000_000),
});

export const scanTrailerSchema = z.strictObject({
  type: z.literal('end'),
  folders: z.number().int().nonnegative(),
  tags: z.number().int().nonnegative(),
  messages: z.number().int().nonnegative(),
  contacts: z.number().int().nonnegative(),
  /** Absent in snapshots written before calendars were scanned. */
  calendar: z.number().int().nonnegative().optional(),
  documents: z.number().int().nonnegative().optional(),
  /** Absent when the mailbox has no configuration sections (and in snapshots from before they were read). */
  config: z.number().int().nonnegative().optional(),
  /** Absent in snapshots from before notes were read. */
  notes: z.number().int().nonnegative().optional(),
});

export const scanLineSchema = z.discriminatedUnion('type', [
  scanHeaderSchema,
  scanFolderSchema,
  scanTagSchema,
  scanMessageSchema,
  scanContactSchema,
  scanCalendarSchema,
  scanDocumentSchema,
  scanNoteSchema,
  scanConfigSchema,
  scanTrailerSchema,
]);

export type ScanHeader = z.output<typeof scanHeaderSchema>;
export type ScanFolder = z.output<typeof scanFolderSchema>;
export type ScanTag = z.output<typeof scanTagSchema>;
export type ScanMessage = z.output<typeof scanMessageSchema>;
export type ScanContact = z.output<typeof scanContactSchema>;
export type ScanCalendar = z.output<typeof scanCalendarSchema>;
export type ScanDocument = z.output<typeof scanDocumentSchema>;
export type ScanNote = z.output<typeof scanNoteSchema>;
export type ScanConfig = z.output<typeof scanConfigSchema>;
export type ScanTrailer = z.output<typeof scanTrailerSchema>;
export type ScanLine = z.output<typeof scanLineSchema>;

/** A whole snapshot, as the indexer holds it after reading and checking every line. */
export interface ScanSnapshot {
  header: ScanHeader;
  folders: ScanFolder[];
  tags: ScanTag[];
  messages: ScanMessage[];
  contacts: ScanContact[];
  calendar: ScanCalendar[];
  documents: ScanDocument[];
  /** Notes and comments; absent when the writer did not read them (an older agent): the index's stay. */
  notes?: ScanNote[];
  /**
   * The mailbox's configuration sections; absent when the writer did not read them (a snapshot from an older
   * agent): the index's sections then stay as they are.
   */
  config?: ScanConfig[];
}

/** How many items (not folders, tags or configuration) a snapshot-shaped file holds: a catalog entry's count. */
export function snapshotItemCount(
  snapshot: Pick<ScanSnapshot, 'messages' | 'contacts' | 'calendar' | 'documents' | 'notes'>,
): number {
  return (
    snapshot.messages.length +
    snapshot.contacts.length +
    snapshot.calendar.length +
    snapshot.documents.length +
    (snapshot.notes?.length ?? 0)
  );
}

export class ScanSnapshotError extends Error {
  override readonly name = 'ScanSnapshotError';
}

/** Parses the JSON lines of a snapshot: header first, trailer last with matching counts, nothing else odd. */
export function parseScanSnapshot(text: string): ScanSnapshot {
  return parseSnapshotLines(text, scanHeaderSchema, ScanSnapshotError);
}

/** The body lines every snapshot-shaped file shares (a scan snapshot, an export's mailbox). */
const bodyLineSchema = z.discriminatedUnion('type', [
  scanFolderSchema,
  scanTagSchema,
  scanMessageSchema,
  scanContactSchema,
  scanCalendarSchema,
  scanDocumentSchema,
  scanNoteSchema,
  scanConfigSchema,
  scanTrailerSchema,
]);

/**
 * Reads a snapshot-shaped file whose first line `headerSchema` describes: then folders, tags, messages and
 * contacts in any order, and a trailer whose counts match (so a truncated file is refused). Item ids are
 * unique; a header that says `absent` comes with no items. Every problem is an `error` naming the line.
 */
export function parseSnapshotLines<H extends { type: 'header'; absent?: true | undefined }>(
  text: string,
  headerSchema: z.ZodType<H>,
  error: new (message: string) => Error,
): Omit<ScanSnapshot, 'header'> & { header: H } {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const parse = <T>(schema: z.ZodType<T>, line: string, n: number): T => {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new error(`line ${n + 1} is not JSON`);
    }
    const result = schema.safeParse(json);
    if (!result.success) throw new error(`line ${n + 1}: ${result.error.issues[0]?.message ?? 'invalid'}`);
    return result.data;
  };
  const first = lines[0] === undefined ? undefined : parse(z.looseObject({ type: z.string() }), lines[0], 0);
  if (first?.type !== 'header') throw new error('the snapshot does not start with its header');
  const header = parse(headerSchema, lines[0] as string, 0);
  const snapshot = {
    header,
    folders: [] as ScanFolder[],
    tags: [] as ScanTag[],
    messages: [] as ScanMessage[],
    contacts: [] as ScanContact[],
    calendar: [] as ScanCalendar[],
    documents: [] as ScanDocument[],
    notes: [] as ScanNote[],
    config: [] as ScanConfig[],
  };
  const last =
    lines.length > 1 ? parse(bodyLineSchema, lines[lines.length - 1] as string, lines.length - 1) : undefined;
  if (last?.type !== 'end') throw new error('the snapshot has no trailer: it is truncated');
  if (header.absent && lines.length > 2) throw new error('the snapshot of an absent mailbox holds items');
  for (let n = 1; n < lines.length - 1; n++) {
    const line = parse(bodyLineSchema, lines[n] as string, n);
    if (line.type === 'folder') snapshot.folders.push(line);
    else if (line.type === 'tag') snapshot.tags.push(line);
    else if (line.type === 'message') snapshot.messages.push(line);
    else if (line.type === 'contact') snapshot.contacts.push(line);
    else if (line.type === 'calendar') snapshot.calendar.push(line);
    else if (line.type === 'document') snapshot.documents.push(line);
    else if (line.type === 'note') snapshot.notes.push(line);
    else if (line.type === 'config') snapshot.config.push(line);
    else throw new error(`line ${n + 1}: a second ${line.type}`);
  }
  const counts = {
    folders: snapshot.folders.length,
    tags: snapshot.tags.length,
    messages: snapshot.messages.length,
    contacts: snapshot.contacts.length,
    calendar: snapshot.calendar.length,
    documents: snapshot.documents.length,
    notes: snapshot.notes.length,
    config: snapshot.config.length,
  };
  for (const [what, count] of Object.entries(counts))
    if ((last[what as keyof typeof counts] ?? 0) !== count)
      throw new error(
        `the trailer counts ${last[what as keyof typeof counts]} ${what}, the snapshot holds ${count}`,
      );
  const ids = new Set<number>();
  for (const item of [
    ...snapshot.folders,
    ...snapshot.messages,
    ...snapshot.contacts,
    ...snapshot.calendar,
    ...snapshot.documents,
    ...snapshot.notes,
  ]) {
    if (ids.has(item.id)) throw new error(`item ${item.id} appears twice`);
    ids.add(item.id);
  }
  // A writer that reads notes or configuration counts them, zero included.
  const { notes, config, ...items } = snapshot;
  const read = {
    ...items,
    ...(last.notes === undefined && notes.length === 0 ? {} : { notes }),
    ...(last.config === undefined && config.length === 0 ? {} : { config }),
  };
  const sections = new Set<string>();
  for (const { section } of snapshot.config) {
    // Section names compare without case (the server's table does).
    if (sections.has(section.toUpperCase()))
      throw new error(`configuration section ${section} appears twice`);
    sections.add(section.toUpperCase());
  }
  return read;
}

/** Zimbra's SHA-256 digest (base64, `/` → `,`) as hex; undefined for older SHA-1 digests or garbage. */
export function sha256OfDigest(digest: string): string | undefined {
  if (!/^[A-Za-z0-9+,]{43}=$/.test(digest)) return undefined;
  return Buffer.from(digest.replaceAll(',', '/'), 'base64').toString('hex');
}
