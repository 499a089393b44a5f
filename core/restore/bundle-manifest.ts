import { z } from 'zod';
import { accountNameProblem, folderNameProblem } from '#core/restore/safe-name.ts';
import {
  customSectionsSchema,
  documentRevisionSchema,
  folderAttributesShape,
} from '#core/scan/scan-snapshot.ts';

// The restore bundle an operation writes under `operations/<id>/bundle/`: a manifest naming each account's
// manifest (with its SHA-256), and per account the folders, tags, messages (one `.eml` each, with its
// SHA-256) and contacts, the account's LDIF, and what could not be restored and why. A bundle is read back
// from a bucket: these schemas are the gate every untrusted manifest passes before anything is written.

export const BUNDLE_FORMAT = 'offsite-restore-bundle/1';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a lowercase hex SHA-256');
const itemId = z
  .number()
  .int()
  .min(1)
  .max(2 ** 31 - 1);
const safeFolderName = z.string().superRefine((name, ctx) => {
  const problem = folderNameProblem(name);
  if (problem)
    ctx.addIssue({ code: 'custom', message: `folder name ${JSON.stringify(name.slice(0, 80))} ${problem}` });
});
const safeAccountName = z.string().superRefine((name, ctx) => {
  const problem = accountNameProblem(name);
  if (problem)
    ctx.addIssue({ code: 'custom', message: `account name ${JSON.stringify(name.slice(0, 80))} ${problem}` });
});
/** Files are named by the bundle's writer after ids; a manifest may not choose its own paths. */
const messageFile = (id: number) => `messages/${id}.eml`;
/** A document revision's bytes, named by ids only (a document's name is the user's, never a path). */
const documentFile = (id: number, version: number) => `documents/${id}/${version}`;
/** One vCard file per folder of contacts. */
const addressBookFile = (folderId: number) => `contacts/${folderId}.vcf`;
/** One iCalendar object per folder of appointments or tasks. */
const calendarFile = (folderId: number) => `calendars/${folderId}.ics`;

export const UNRESTORED_REASONS = ['read-error', 'digest-mismatch', 'broken-item', 'not-found'] as const;

const unrestored = z.strictObject({
  id: itemId,
  kind: z.enum(['message', 'contact', 'calendar', 'document', 'item']),
  reason: z.enum(UNRESTORED_REASONS),
  detail: z.string().max(2000),
  /** A document revision's file, when only that revision could not be restored. */
  file: z.string().max(300).optional(),
});

export const accountManifestSchema = z
  .strictObject({
    format: z.literal(BUNDLE_FORMAT),
    account: z.strictObject({
      name: safeAccountName,
      zimbraId: z.string().max(64),
      serverId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
      mailboxId: z.number().int().min(1),
    }),
    /** The account to restore into (the source's name, or a new account). */
    target: safeAccountName,
    /** Folders that hold items, with their view, color, subscription and shares (guest secrets left out). */
    folders: z
      .array(
        z.strictObject({
          id: itemId,
          name: safeFolderName,
          parentId: itemId,
          ...folderAttributesShape,
        }),
      )
      .max(100_000),
    /** Saved searches (search folders): where they are and what they ask. */
    searches: z
      .array(
        z.strictObject({
          id: itemId,
          name: safeFolderName,
          parentId: itemId,
          query: z.string().max(65_536),
          types: z.string().max(1024),
          sort: z.string().max(1024),
          ...folderAttributesShape,
        }),
      )
      .max(100_000)
      .default([]),
    /** Mountpoints: other accounts' shared folders, mounted here (the share itself lives in the owner's). */
    mountpoints: z
      .array(
        z.strictObject({
          id: itemId,
          name: safeFolderName,
          parentId: itemId,
          ownerId: z.string().max(127),
          remoteId: z.number().int(),
          remoteUuid: z.string().min(1).max(127).optional(),
          reminder: z.literal(true).optional(),
          ...folderAttributesShape,
        }),
      )
      .max(100_000)
      .default([]),
    tags: z.array(z.strictObject({ name: safeFolderName, id: z.number().int() })).max(10_000),
    /**
     * The mailbox's configuration sections (IMAP subscriptions, contact rankings, applications' settings),
     * each its metadata as the server wrote it; sections holding secrets are never in a bundle.
     */
    config: z
      .array(z.strictObject({ section: z.string().min(1).max(64), metadata: z.string().max(4_000_000) }))
      .max(10_000)
      .default([]),
    messages: z
      .array(
        z.strictObject({
          id: itemId,
          folderId: itemId,
          flags: z.number().int().nonnegative(),
          tags: z.array(safeFolderName).max(1000),
          receivedDate: z.number().int(),
          size: z.number().int().nonnegative(),
          digest: z.string().max(64),
          sha256,
          file: z.string(),
          custom: customSectionsSchema.optional(),
        }),
      )
      .max(10_000_000),
    contacts: z
      .array(
        z.strictObject({
          id: itemId,
          folderId: itemId,
          fields: z.record(z.string().max(256), z.string().max(100_000)),
          sha256: sha256.nullable(),
          custom: customSectionsSchema.optional(),
        }),
      )
      .max(1_000_000),
    /** Appointments and tasks with their invites exactly as the server encoded them. */
    calendar: z
      .array(
        z.strictObject({
          id: itemId,
          folderId: itemId,
          type: z.enum(['appointment', 'task']),
          flags: z.number().int(),
          tags: z.array(safeFolderName).max(1000),
          uid: z.string().max(4096),
          invites: z.array(z.string().max(4_000_000)).min(1).max(10_000),
          custom: customSectionsSchema.optional(),
        }),
      )
      .max(1_000_000)
      .default([]),
    /** The same items as iCalendar, one file per folder (what a calendar client imports). */
    calendars: z
      .array(
        z.strictObject({
          folderId: itemId,
          file: z.string(),
          sha256,
          components: z.number().int().nonnegative(),
        }),
      )
      .max(100_000)
      .default([]),
    /** The contacts as vCard, one file per folder (what an address book imports). */
    addressBooks: z
      .array(
        z.strictObject({
          folderId: itemId,
          file: z.string(),
          sha256,
          cards: z.number().int().nonnegative(),
        }),
      )
      .max(100_000)
      .default([]),
    /** Briefcase documents with every revision kept, each revision's bytes in its own file. */
    documents: z
      .array(
        z.strictObject({
          id: itemId,
          folderId: itemId,
          type: z.enum(['document', 'wiki']),
          flags: z.number().int(),
          tags: z.array(safeFolderName).max(1000),
          name: z.string().max(1024),
          description: z.string().max(65_536),
          revisions: z
            .array(documentRevisionSchema.extend({ file: z.string() }))
            .min(1)
            .max(100_000),
          custom: customSectionsSchema.optional(),
        }),
      )
      .max(1_000_000)
      .default([]),
    /**
     * Notes, and comments on documents (in the hidden Comments folder, naming their document and the account
     * that wrote them), their text as the server stored it.
     */
    notes: z
      .array(
        z.strictObject({
          id: itemId,
          folderId: itemId,
          type: z.enum(['note', 'comment']),
          flags: z.number().int(),
          tags: z.array(safeFolderName).max(1000),
          text: z.string().max(1024),
          date: z.number().int(),
          color: z.number().int().optional(),
          bounds: z.string().max(64).optional(),
          parentId: itemId.optional(),
          creatorId: z.string().max(127).optional(),
          custom: customSectionsSchema.optional(),
        }),
      )
      .max(1_000_000)
      .default([]),
    /**
     * Redo records of this mailbox that indexing could not decode, written before the restore point and not
     * restated by a scan since: the mailbox as restored may lack what they did.
     */
    uncertain: z
      .array(
        z.strictObject({
          since: z.iso.datetime(),
          op: z.string().max(64),
          version: z.string().max(16),
          s3Key: z.string().max(1024),
          offset: z.number().int().nonnegative(),
          reason: z.string().max(2000),
        }),
      )
      .max(100_000)
      .default([]),
    ldif: z.strictObject({ file: z.literal('account.ldif'), sha256 }).optional(),
    unrestored: z.array(unrestored),
  })
  .superRefine((manifest, ctx) => {
    const folders = new Map(manifest.folders.map((f) => [f.id, f]));
    for (const [i, m] of manifest.messages.entries()) {
      if (m.file !== messageFile(m.id))
        ctx.addIssue({
          code: 'custom',
          path: ['messages', i, 'file'],
          message: `must be ${messageFile(m.id)}`,
        });
      if (m.folderId !== 1 && !folders.has(m.folderId))
        ctx.addIssue({
          code: 'custom',
          path: ['messages', i, 'folderId'],
          message: `folder ${m.folderId} is not in the bundle`,
        });
    }
    for (const [i, c] of manifest.calendar.entries())
      if (!folders.has(c.folderId))
        ctx.addIssue({
          code: 'custom',
          path: ['calendar', i, 'folderId'],
          message: `folder ${c.folderId} is not in the bundle`,
        });
    for (const [i, d] of manifest.documents.entries()) {
      if (!folders.has(d.folderId))
        ctx.addIssue({
          code: 'custom',
          path: ['documents', i, 'folderId'],
          message: `folder ${d.folderId} is not in the bundle`,
        });
      for (const [j, r] of d.revisions.entries())
        if (r.file !== documentFile(d.id, r.version))
          ctx.addIssue({
            code: 'custom',
            path: ['documents', i, 'revisions', j, 'file'],
            message: `must be ${documentFile(d.id, r.version)}`,
          });
    }
    for (const list of ['searches', 'mountpoints'] as const)
      for (const [i, f] of manifest[list].entries())
        if (f.parentId !== 1 && !folders.has(f.parentId))
          ctx.addIssue({
            code: 'custom',
            path: [list, i, 'parentId'],
            message: `folder ${f.parentId} is not in the bundle`,
          });
    for (const [i, c] of manifest.addressBooks.entries())
      if (c.file !== addressBookFile(c.folderId))
        ctx.addIssue({
          code: 'custom',
          path: ['addressBooks', i, 'file'],
          message: `must be ${addressBookFile(c.folderId)}`,
        });
    for (const [i, c] of manifest.calendars.entries())
      if (c.file !== calendarFile(c.folderId))
        ctx.addIssue({
          code: 'custom',
          path: ['calendars', i, 'file'],
          message: `must be ${calendarFile(c.folderId)}`,
        });
    for (const [i, f] of manifest.folders.entries()) {
      // Every chain of parents must reach the root (id 1) without a cycle.
      const seen = new Set<number>();
      let at: number | undefined = f.id;
      while (at !== undefined && at !== 1) {
        if (seen.has(at) || seen.size > 64) {
          ctx.addIssue({
            code: 'custom',
            path: ['folders', i],
            message: `folder ${f.id} has a parent cycle or is nested too deep`,
          });
          break;
        }
        seen.add(at);
        const parent: number | undefined = folders.get(at)?.parentId;
        if (parent === undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['folders', i],
            message: `folder ${at} is not in the bundle`,
          });
        at = parent;
      }
    }
  });

export type AccountManifest = z.output<typeof accountManifestSchema>;
export type BundleMessage = AccountManifest['messages'][number];
export type UnrestoredItem = z.output<typeof unrestored>;

export const bundleManifestSchema = z.strictObject({
  format: z.literal(BUNDLE_FORMAT),
  operationId: z.uuid(),
  mode: z.enum(['point-in-time', 'undelete', 'item', 'deleted-account', 'ldap']),
  createdAt: z.iso.datetime(),
  /** The instant restored: a time (ISO) and/or a redo position. */
  point: z.strictObject({ time: z.iso.datetime().optional(), position: z.string().max(41).optional() }),
  accounts: z.array(
    z.strictObject({
      index: z.number().int().nonnegative(),
      name: safeAccountName,
      target: safeAccountName,
      file: z.string().regex(/^accounts\/\d{1,6}\/manifest\.json$/),
      sha256,
      messages: z.number().int().nonnegative(),
      bytes: z.number().int().nonnegative(),
      unrestored: z.number().int().nonnegative(),
    }),
  ),
  directory: z
    .strictObject({
      file: z.literal('directory.ldif'),
      sha256,
      entries: z.number().int(),
      /** Entries that carry their password hashes (a restore --with-secrets). */
      secrets: z.number().int().nonnegative().optional(),
    })
    .optional(),
});

export type BundleManifest = z.output<typeof bundleManifestSchema>;

export const accountDir = (index: number) => `accounts/${index}`;
export { addressBookFile, calendarFile, documentFile, messageFile };
