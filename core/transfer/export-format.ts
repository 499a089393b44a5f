import { z } from 'zod';
import {
  parseSnapshotLines,
  type ScanCalendar,
  type ScanConfig,
  type ScanContact,
  type ScanDocument,
  type ScanFolder,
  type ScanMessage,
  type ScanNote,
  type ScanTag,
} from '#core/scan/scan-snapshot.ts';

// An export: a self-contained copy of chosen accounts at one instant, readable without this deployment's
// index. Under its prefix: `manifest.json` (written last: an export without it is incomplete), each
// mailbox as JSON lines (zstd) in the scan snapshot's shape, each server's directory entries as LDIF (zstd),
// the list of blobs, and every blob once, zstd-compressed, under `blobs/<2 hex>/<sha256>` like the backup's
// own store. An import reads all of it from a bucket: these schemas are the gate it passes first.

export const EXPORT_FORMAT = 'offsite-export/1' as const;
export const EXPORT_MAILBOX_FORMAT = 'offsite-export-mailbox/1' as const;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a lowercase hex SHA-256');
const serverId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/);
const mailboxId = z
  .number()
  .int()
  .min(1)
  .max(2 ** 31 - 1);
const count = z.number().int().nonnegative();
/** Zimbra ids (UUIDs): they become part of object keys on import. */
const accountId = z.string().regex(/^[A-Za-z0-9._-]{1,127}$/, 'expected a Zimbra id');

/** File names inside an export are fixed by the format; a manifest may not choose its own paths. */
export const exportFile = {
  manifest: 'manifest.json',
  blobs: 'blobs.json.zst',
  mailbox: (index: number) => `mailboxes/${String(index).padStart(6, '0')}.jsonl.zst`,
  directory: (server: string) => `directory/${server}.ldif.zst`,
};

/** The first line of a mailbox file. */
export const exportMailboxHeaderSchema = z.strictObject({
  type: z.literal('header'),
  format: z.literal(EXPORT_MAILBOX_FORMAT),
  serverId,
  mailboxId,
  accountId,
  accountName: z.string().max(255),
  /** The instant the mailbox is exported as of. */
  time: z.iso.datetime(),
});
export type ExportMailboxHeader = z.output<typeof exportMailboxHeaderSchema>;

export interface ExportMailbox {
  header: ExportMailboxHeader;
  folders: ScanFolder[];
  tags: ScanTag[];
  messages: ScanMessage[];
  contacts: ScanContact[];
  calendar: ScanCalendar[];
  documents: ScanDocument[];
  /** Notes and comments; absent in exports from before they were carried (an import then keeps the index's). */
  notes?: ScanNote[];
  /** The mailbox's configuration sections; absent: none. */
  config?: ScanConfig[];
}

export class ExportFormatError extends Error {
  override readonly name = 'ExportFormatError';
}

/** One mailbox as JSON lines: header, folders, tags, messages, contacts, then the trailer with the counts. */
export function formatExportMailbox(mailbox: ExportMailbox): string {
  return formatSnapshotLines(mailbox.header, mailbox);
}

/** Snapshot-shaped JSON lines (a scan snapshot, an export's mailbox) under any header. */
export function formatSnapshotLines(header: object, body: Omit<ExportMailbox, 'header'>): string {
  const lines: unknown[] = [
    header,
    ...body.folders,
    ...body.tags,
    ...body.messages,
    ...body.contacts,
    ...body.calendar,
    ...body.documents,
    ...(body.notes ?? []),
    ...(body.config ?? []),
    {
      type: 'end',
      folders: body.folders.length,
      tags: body.tags.length,
      messages: body.messages.length,
      contacts: body.contacts.length,
      calendar: body.calendar.length,
      documents: body.documents.length,
      ...(body.notes !== undefined ? { notes: body.notes.length } : {}),
      ...(body.config !== undefined ? { config: body.config.length } : {}),
    },
  ];
  return `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`;
}

export function parseExportMailbox(text: string): ExportMailbox {
  return parseSnapshotLines(text, exportMailboxHeaderSchema, ExportFormatError);
}

const storedFile = { sha256, size: count, storedSize: count };

export const UNEXPORTED_REASONS = ['read-error', 'digest-mismatch', 'broken-item'] as const;

export const exportManifestSchema = z
  .strictObject({
    format: z.literal(EXPORT_FORMAT),
    operationId: z.uuid(),
    createdAt: z.iso.datetime(),
    /** The instant every mailbox and directory entry is exported as of. */
    time: z.iso.datetime(),
    selection: z.strictObject({
      accounts: z.array(z.string().max(320)).max(10_000),
      domains: z.array(z.string().max(255)).max(1000),
      all: z.boolean(),
    }),
    servers: z
      .array(
        z.strictObject({
          serverId,
          /** The directory objects the accounts need (themselves, aliases, domains, classes of service). */
          directory: z.strictObject({ file: z.string(), entries: count, ...storedFile }).optional(),
        }),
      )
      .max(1000),
    mailboxes: z
      .array(
        z.strictObject({
          index: count,
          serverId,
          mailboxId,
          accountId,
          accountName: z.string().max(255),
          file: z.string(),
          ...storedFile,
          folders: count,
          tags: count,
          messages: count,
          contacts: count,
          /** Bytes of the messages' bodies, uncompressed. */
          bytes: count,
        }),
      )
      .max(1_000_000),
    blobs: z.strictObject({ file: z.literal(exportFile.blobs), count, bytes: count, ...storedFile }),
    /** Items the backup could not give a body for (the export leaves them out, as a restore would). */
    unexported: z
      .array(
        z.strictObject({
          mailbox: count,
          id: mailboxId,
          kind: z.enum(['message', 'contact', 'calendar', 'document', 'note']),
          reason: z.enum(UNEXPORTED_REASONS),
          detail: z.string().max(2000),
        }),
      )
      .max(1_000_000),
  })
  .superRefine((manifest, ctx) => {
    const seen = new Set<string>();
    for (const [i, m] of manifest.mailboxes.entries()) {
      if (m.index !== i)
        ctx.addIssue({ code: 'custom', path: ['mailboxes', i, 'index'], message: `must be ${i}` });
      if (m.file !== exportFile.mailbox(i))
        ctx.addIssue({
          code: 'custom',
          path: ['mailboxes', i, 'file'],
          message: `must be ${exportFile.mailbox(i)}`,
        });
      const key = `${m.serverId}:${m.mailboxId}`;
      if (seen.has(key))
        ctx.addIssue({ code: 'custom', path: ['mailboxes', i], message: `mailbox ${key} appears twice` });
      seen.add(key);
      if (!manifest.servers.some((s) => s.serverId === m.serverId))
        ctx.addIssue({
          code: 'custom',
          path: ['mailboxes', i, 'serverId'],
          message: `server ${m.serverId} is not in the export's servers`,
        });
    }
    for (const [i, s] of manifest.servers.entries())
      if (s.directory && s.directory.file !== exportFile.directory(s.serverId))
        ctx.addIssue({
          code: 'custom',
          path: ['servers', i, 'directory', 'file'],
          message: `must be ${exportFile.directory(s.serverId)}`,
        });
  });

export type ExportManifest = z.output<typeof exportManifestSchema>;
export type UnexportedItem = ExportManifest['unexported'][number];

/** The blob list: every body the mailboxes refer to, once, with its plaintext and stored sizes. */
export const exportBlobListSchema = z.strictObject({
  blobs: z.array(z.tuple([sha256, count, count])).max(100_000_000),
});
export type ExportBlobList = z.output<typeof exportBlobListSchema>;
