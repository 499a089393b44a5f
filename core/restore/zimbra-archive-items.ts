import { inviteMap, inviteSummary } from '#core/calendar/invite-metadata.ts';
import { aclOfGrants } from '#core/index/apply-folder-op.ts';
import { FOLDER_ID, ITEM_TYPE } from '#core/mail-item.ts';
import type { AccountManifest } from '#core/restore/bundle-manifest.ts';
import { ITEM_TYPE_NAME, type ItemData } from '#core/restore/zimbra-item-data.ts';
import { metadataOfCustom } from '#core/scan/custom-data.ts';
import { encodeMetadata, type MetadataValue } from '#core/scan/zimbra-metadata.ts';

// What an account's archive holds, in the order and with the names Zimbra's archive formatter gives them
// (ArchiveFormatter.saveItem): folders by path, saved searches, tags and mountpoints first (so a folder's
// view, color and shares exist before anything is filed into it), then messages, contacts, appointments,
// tasks, documents (each revision, oldest first, so import rebuilds the history) and notes. Each item is a
// `.meta` entry (ItemData) and, when it has a body, the body entry after it. Pure: the bundle supplies the
// bodies when the archive is written.

export type ZimbraItemKind =
  | 'folder'
  | 'search'
  | 'tag'
  | 'mountpoint'
  | 'message'
  | 'contact'
  | 'appointment'
  | 'task'
  | 'document'
  | 'note';

export interface ZimbraArchiveItem {
  kind: ZimbraItemKind;
  /** The body entry's path; the `.meta` entry is this plus `.meta`. */
  path: string;
  /** ItemData without the size when the body is a bundle file (the writer sets it from the checked bytes). */
  data: ItemData;
  /** The body: a bundle file of the account (checked against its SHA-256), or bytes known here (a note). */
  body?: { file: string; sha256: string } | { bytes: Buffer };
}

export interface ZimbraArchivePlan {
  items: ZimbraArchiveItem[];
  /** Items the archive cannot carry, with why (the import would not take them). */
  left: { kind: string; id: number; reason: string }[];
}

/** ArchiveFormatter's ILLEGAL_FILE_CHARS and ILLEGAL_FOLDER_CHARS: replaced by `_` in entry names. */
const ILLEGAL_FILE = /[/:*?"<>|\0]/g;
const ILLEGAL_FOLDER = /[:*?"<>|\0]/g;
/** Flag.FlagInfo.VERSIONED (-13). */
const VERSIONED = 1 << 12;

export function zimbraArchiveItems(account: AccountManifest): ZimbraArchivePlan {
  const paths = zimbraFolderPaths(account);
  const folderPath = (id: number) => paths.get(id) ?? '/';
  const itemPath = (folderId: number) => `${folderPath(folderId).replace(/\/$/, '')}/`;
  /** The folder part of an entry name: the folder's path without its leading slash, illegal characters `_`. */
  const entryDir = (folderId: number) => folderPath(folderId).slice(1).replace(ILLEGAL_FOLDER, '_');
  const contactNames = new Set<string>();
  const items: ZimbraArchiveItem[] = [];
  const left: ZimbraArchivePlan['left'] = [];
  const base = (id: number, type: number, folderId: number) => ({
    id,
    type,
    parentId: -1,
    folderId,
    date: 0,
    size: 0,
    unread: false,
    flags: 0,
    tags: [] as string[],
  });

  /** A folder, saved search or mountpoint: named, in its parent folder, with its metadata. */
  const folderLike = (
    kind: ZimbraItemKind,
    type: number,
    f: { id: number; name: string; parentId: number },
    path: string,
    metadata: Record<string, MetadataValue>,
  ): ZimbraArchiveItem => ({
    kind,
    path: entryName({ dir: entryDir(f.parentId), id: f.id, type, name: f.name }),
    data: {
      ...base(f.id, type, f.parentId),
      parentId: f.parentId,
      name: f.name,
      subject: f.name,
      path,
      metadata: encodeMetadata(metadata),
    },
  });
  const folders = account.folders
    .filter((f) => f.id !== FOLDER_ID.root)
    .sort((a, b) => compare(folderPath(a.id), folderPath(b.id)));
  for (const f of folders)
    items.push(
      folderLike('folder', ITEM_TYPE.folder, f, folderPath(f.id), {
        ...folderMetadata(f),
        das: f.activeSyncDisabled ? 'true' : 'false',
        ...(f.url ? { url: f.url } : {}),
        ...(f.grants ? { aclm: aclOfGrants(f.grants) } : {}),
        ...(f.webOfflineSyncDays !== undefined ? { wosd: f.webOfflineSyncDays } : {}),
      }),
    );
  for (const f of account.searches)
    items.push(
      folderLike('search', ITEM_TYPE.searchFolder, f, `${itemPath(f.parentId)}${f.name}`, {
        ...folderMetadata(f),
        q: f.query,
        t: f.types,
        s: f.sort,
      }),
    );
  for (const t of account.tags)
    items.push({
      kind: 'tag',
      path: entryName({ dir: 'Tags', id: t.id, type: ITEM_TYPE.tag, name: t.name }),
      data: {
        ...base(t.id, ITEM_TYPE.tag, FOLDER_ID.tags),
        name: t.name,
        subject: t.name,
        path: `/Tags/${t.name}`,
        metadata: encodeMetadata({ lst: 'true' }),
      },
    });
  for (const f of account.mountpoints)
    items.push(
      folderLike('mountpoint', ITEM_TYPE.mountpoint, f, `${itemPath(f.parentId)}${f.name}`, {
        ...folderMetadata(f),
        aid: f.ownerId,
        id: f.remoteId,
        ...(f.remoteUuid ? { ruuid: f.remoteUuid } : {}),
        ...(f.reminder ? { reminder: 'true' } : {}),
        das: f.activeSyncDisabled ? 'true' : 'false',
      }),
    );

  for (const m of account.messages)
    items.push({
      kind: 'message',
      path: entryName({ dir: entryDir(m.folderId), id: m.id, type: ITEM_TYPE.message, ext: 'eml' }),
      data: {
        ...base(m.id, ITEM_TYPE.message, m.folderId),
        // A message alone in its conversation has the virtual conversation -id as parent.
        parentId: -m.id,
        date: m.receivedDate,
        size: m.size,
        blobDigest: m.digest,
        unread: (m.flags & (1 << 9)) !== 0,
        flags: m.flags,
        tags: m.tags,
        path: itemPath(m.folderId),
        metadata: encodeMetadata(metadataOfCustom(m.custom)),
      },
      body: { file: m.file, sha256: m.sha256 },
    });
  for (const c of account.contacts)
    items.push({
      kind: 'contact',
      path: uniqueEntryName(entryDir(c.folderId), fileAs(c.fields) || `contact-${c.id}`, contactNames),
      data: {
        ...base(c.id, ITEM_TYPE.contact, c.folderId),
        path: itemPath(c.folderId),
        metadata: encodeMetadata({ ...metadataOfCustom(c.custom), fld: { ...c.fields } }),
      },
    });
  for (const type of ['appointment', 'task'] as const)
    for (const item of account.calendar.filter((c) => c.type === type)) {
      const itemType = type === 'appointment' ? ITEM_TYPE.appointment : ITEM_TYPE.task;
      const subject = inviteSummary(item.invites[0]).summary ?? '';
      const meta: Record<string, MetadataValue> = {
        ...metadataOfCustom(item.custom),
        tzm: {},
        u: item.uid,
        nc: item.invites.length,
      };
      try {
        for (const [i, invite] of item.invites.entries()) meta[`inv${i}`] = inviteMap(invite);
      } catch (error) {
        left.push({
          kind: type,
          id: item.id,
          reason: `its invites do not decode: ${(error as Error).message}`,
        });
        continue;
      }
      items.push({
        kind: type,
        path: entryName({
          dir: entryDir(item.folderId),
          id: item.id,
          type: itemType,
          name: subject,
          ext: type === 'appointment' ? 'appt' : 'task',
        }),
        data: {
          ...base(item.id, itemType, item.folderId),
          flags: item.flags,
          tags: item.tags,
          ...(subject ? { subject } : {}),
          path: itemPath(item.folderId),
          metadata: encodeMetadata(meta),
        },
      });
    }
  for (const d of account.documents) {
    const type = d.type === 'wiki' ? ITEM_TYPE.wiki : ITEM_TYPE.document;
    const versioned = d.revisions.length > 1 || (d.flags & VERSIONED) !== 0;
    for (const r of d.revisions)
      items.push({
        kind: 'document',
        path: entryName({
          dir: entryDir(d.folderId),
          id: d.id,
          type,
          name: r.name,
          prefix: false,
          ...(versioned ? { version: r.version } : {}),
        }),
        data: {
          ...base(d.id, type, d.folderId),
          date: r.date,
          size: r.size,
          blobDigest: r.digest,
          flags: d.flags | (versioned ? VERSIONED : 0),
          tags: d.tags,
          name: r.name,
          subject: r.name,
          path: `${itemPath(d.folderId)}${r.name}`,
          metadata: encodeMetadata({
            ...metadataOfCustom(d.custom),
            ct: r.contentType,
            cr: r.author,
            de: d.description,
            dee: d.description ? 'true' : 'false',
            lt: 0,
            ...(r.version > 1 ? { ver: r.version } : {}),
          }),
        },
        body: { file: r.file, sha256: r.sha256 },
      });
  }
  for (const n of account.notes) {
    if (n.type === 'comment') {
      // The formatter has no case for comments (they are not among the types it exports or imports).
      left.push({ kind: 'comment', id: n.id, reason: "Zimbra's archive import does not take comments" });
      continue;
    }
    // Zimbra's export writes no body for a note (its text is not a blob), yet import reads the text from the
    // body entry; the archive carries the text there, which is what the import needs.
    items.push({
      kind: 'note',
      path: entryName({ dir: entryDir(n.folderId), id: n.id, type: ITEM_TYPE.note, ext: 'note' }),
      data: {
        ...base(n.id, ITEM_TYPE.note, n.folderId),
        date: n.date,
        flags: n.flags,
        tags: n.tags,
        subject: n.text,
        path: itemPath(n.folderId),
        metadata: encodeMetadata({
          ...metadataOfCustom(n.custom),
          ...(n.color !== undefined ? { c: n.color } : {}),
          ...(n.bounds ? { l: n.bounds } : {}),
        }),
      },
      body: { bytes: Buffer.from(n.text, 'utf8') },
    });
  }
  return { items, left };
}

/** Each folder's Zimbra path (`/Inbox/Sub`; the user root is `/`), from the manifest's folder tree. */
export function zimbraFolderPaths(account: AccountManifest): Map<number, string> {
  const byId = new Map(account.folders.map((f) => [f.id, f]));
  const paths = new Map<number, string>([[FOLDER_ID.root, '/']]);
  const pathOf = (id: number): string => {
    const known = paths.get(id);
    if (known !== undefined) return known;
    const folder = byId.get(id);
    if (!folder) return '/';
    const parent = pathOf(folder.parentId);
    const path = `${parent === '/' ? '' : parent}/${folder.name}`;
    paths.set(id, path);
    return path;
  };
  for (const f of account.folders) pathOf(f.id);
  return paths;
}

/** The view and color as Folder.encodeMetadata and MailItem.encodeMetadata write them, with custom data. */
function folderMetadata(f: {
  view?: number | undefined;
  color?: number | undefined;
  custom?: Record<string, string> | undefined;
}): Record<string, MetadataValue> {
  return {
    ...metadataOfCustom(f.custom),
    ...(f.view !== undefined ? { vt: f.view } : {}),
    ...(f.color !== undefined ? { c: f.color } : {}),
  };
}

/**
 * ArchiveFormatter.getEntryName: the item's name (or the type and id when it has none), prefixed with its id
 * in ten digits for items other than documents, cut to 120 characters, a document revision's version before
 * its extension, illegal characters `_`, trailing dots dropped.
 */
export function entryName(o: {
  dir: string;
  id: number;
  type: number;
  name?: string;
  ext?: string;
  prefix?: boolean;
  version?: number;
}): string {
  let name = o.name ?? '';
  if ((o.prefix ?? true) && name !== '') name = `${String(o.id).padStart(10, '0')}-${name}`;
  if (name === '') name = `${ITEM_TYPE_NAME[o.type] ?? 'item'}-${o.id}`;
  else if (name.length > 121) name = name.slice(0, 120);
  if (o.version !== undefined) {
    const dot = name.lastIndexOf('.');
    const suffix = `-${String(o.version).padStart(5, '0')}`;
    name =
      dot >= 0 && dot >= name.length - 5 ? `${name.slice(0, dot)}${suffix}${name.slice(dot)}` : name + suffix;
  }
  name = name.replace(ILLEGAL_FILE, '_').trim();
  while (name.endsWith('.')) name = name.slice(0, -1).trim();
  const path = o.dir === '' ? name : `${o.dir}/${name}`;
  return o.ext ? `${path}.${o.ext}` : path;
}

/** Contacts are named by their "file as" name, made unique in the archive with `-01`, `-02`… (case-blind). */
function uniqueEntryName(dir: string, name: string, taken: Set<string>): string {
  const clean = name.slice(0, 120).replace(ILLEGAL_FILE, '_').trim() || 'contact';
  for (let counter = 0; ; counter++) {
    const path = `${dir === '' ? '' : `${dir}/`}${clean}${counter > 0 ? `-${String(counter).padStart(2, '0')}` : ''}`;
    if (!taken.has(path.toLowerCase())) {
      taken.add(path.toLowerCase());
      return path;
    }
  }
}

/** A contact's display name the way an address book files it: full name, else first and last, else e-mail. */
function fileAs(fields: Record<string, string>): string {
  return (
    fields.fullName ??
    ([fields.firstName, fields.lastName].filter(Boolean).join(' ') || fields.company || fields.email || '')
  );
}

/** Java's String.compareTo (UTF-16 code units), which SortPath uses. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
