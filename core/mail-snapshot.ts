// The state of a host's mailboxes at one instant, as plain JSON: what a restore must reproduce, and what
// the simulator's ground truth and a redo replay are compared on.

export interface MessageState {
  folderId: number;
  flags: number;
  /** Tag names, sorted. */
  tags: string[];
  /** Zimbra digest (base64 SHA-256, `/` → `,`) as the server recorded it. */
  digest: string;
  size: number;
  /** SHA-256 hex of the uncompressed message bytes: "byte for byte". */
  sha256: string;
  receivedDate: number;
  /** Custom metadata sections (SetCustomData: a zimlet's or a client's), serialized as written; absent: none. */
  custom?: Record<string, string>;
}

export interface ContactState {
  folderId: number;
  fields: Record<string, string>;
  /** SHA-256 hex of the contact blob (vCard-like bytes), when there is one. */
  sha256: string | null;
  /** Custom metadata sections (SetCustomData: a zimlet's or a client's), serialized as written; absent: none. */
  custom?: Record<string, string>;
}

/**
 * An appointment or a task: its invites as the server encoded them (Zimbra metadata, kept as written so
 * nothing is normalized away), the series (or single) invite first, then its exceptions.
 */
export interface CalendarItemState {
  type: 'appointment' | 'task';
  folderId: number;
  flags: number;
  /** Tag names, sorted. */
  tags: string[];
  uid: string;
  invites: string[];
  /** Custom metadata sections (SetCustomData: a zimlet's or a client's), serialized as written; absent: none. */
  custom?: Record<string, string>;
}

/** One revision of a Briefcase document: its body in the blob store, and what it was called then. */
export interface DocumentRevision {
  version: number;
  name: string;
  contentType: string;
  author: string;
  /** ms, whole seconds (the database keeps seconds). */
  date: number;
  size: number;
  /** Zimbra digest as the server recorded it. */
  digest: string;
  /** SHA-256 hex of the revision's bytes. */
  sha256: string;
}

/** A Briefcase document (or an old release's wiki page) with every revision the server keeps, oldest first. */
export interface DocumentState {
  type: 'document' | 'wiki';
  folderId: number;
  flags: number;
  /** Tag names, sorted. */
  tags: string[];
  name: string;
  description: string;
  revisions: DocumentRevision[];
  /** Custom metadata sections (SetCustomData: a zimlet's or a client's), serialized as written; absent: none. */
  custom?: Record<string, string>;
}

/**
 * A sticky note (CreateNote: an older web client's) or a comment on a Briefcase document (CreateComment, kept
 * in the hidden Comments folder, 17). Its text is what the server stores: control characters stripped, at
 * most 1,024 characters.
 */
export interface NoteState {
  type: 'note' | 'comment';
  folderId: number;
  flags: number;
  /** Tag names, sorted. */
  tags: string[];
  text: string;
  /** When made or last edited (ms, whole seconds: the database keeps seconds). */
  date: number;
  /** A note's color (absent: default) and place on screen, `x,y,width,height`. */
  color?: number;
  bounds?: string;
  /** A comment's document, and the zimbraId of the account that wrote it. */
  parentId?: number;
  creatorId?: string;
  /** Custom metadata sections (SetCustomData: a zimlet's or a client's), serialized as written; absent: none. */
  custom?: Record<string, string>;
}

/** A share of a folder (an ACL entry). A guest's password or access key is not kept: a restore asks anew. */
export interface FolderGrant {
  /** The grantee's zimbraId (user, group, domain, COS), or the guest's address; absent for all/public. */
  grantee?: string;
  /** ACL grantee type: 1 user, 2 group, 3 authenticated users, 4 domain, 5 COS, 6 public, 7 guest, 8 key. */
  type: number;
  /** ACL rights bitmask (r 1, w 2, i 4, d 8, a 16, x 256, p 1024, f 2048). */
  rights: number;
  /** When the grant expires (ms), absent when it does not. */
  expiry?: number;
}

/** A retention rule: a system policy by id (its lifetime is in the server's configuration), or a lifetime. */
export type RetentionRule = { id: string } | { lifetime: string };

/** A folder's retention policy (SetRetentionPolicy): how long its items must be kept, and when purged. */
export interface RetentionPolicy {
  keep: RetentionRule[];
  purge: RetentionRule[];
}

/** A saved search: a folder whose content is a query (Zimbra's search folder). */
export interface SavedSearch {
  query: string;
  types: string;
  sort: string;
}

/** A mountpoint: a folder that shows another account's shared folder. */
export interface Mountpoint {
  ownerId: string;
  remoteId: number;
  remoteUuid?: string;
  reminder?: true;
}

/**
 * A folder with what Zimbra keeps of it. Attributes at their default are absent, so a folder made before they
 * were modelled reads the same. Saved searches and mountpoints are folders too (the same id space, moved,
 * renamed and deleted like folders), told apart by `search` and `mount`.
 */
export interface FolderState {
  name: string;
  parentId: number;
  /** The type of item the folder shows (MailItem.Type: 5 message, 6 contact, 8 document, 11 appointment, 15 task). */
  view?: number;
  /** Zimbra's color value (an index 1–9, or an RGB value with its high byte set); absent: default. */
  color?: number;
  /** A subscription: the feed or remote calendar the folder is synchronized from. */
  url?: string;
  /** Shares, ordered by grantee type and grantee. */
  grants?: FolderGrant[];
  search?: SavedSearch;
  mount?: Mountpoint;
  /** Absent when neither keep nor purge rules are set. */
  retention?: RetentionPolicy;
  /** Hidden from ActiveSync devices (SetDisableActiveSync). */
  activeSyncDisabled?: true;
  /** How many days of the folder the web client keeps offline (SetWebOfflineSyncDays; absent: not set). */
  webOfflineSyncDays?: number;
  /** Custom metadata sections (SetCustomData: a zimlet's or a client's), serialized as written; absent: none. */
  custom?: Record<string, string>;
}

/** MailItem.Type bytes of views. */
export const VIEW = { message: 5, contact: 6, document: 8, appointment: 11, task: 15 } as const;

export interface MailboxState {
  accountId: string;
  /** The account's name after the last RenameMailbox, null if never renamed. */
  renamedTo: string | null;
  folders: Record<string, FolderState>;
  /** Tag name → tag id. */
  tags: Record<string, number>;
  messages: Record<string, MessageState>;
  contacts: Record<string, ContactState>;
  /** Appointments and tasks. */
  calendar: Record<string, CalendarItemState>;
  /** Briefcase documents. */
  documents: Record<string, DocumentState>;
  /** Notes and comments on documents; absent when there are none. */
  notes?: Record<string, NoteState>;
  /**
   * Configuration sections by name in upper case (IMAP subscriptions, contact rankings, applications'
   * settings), each its metadata as written; absent when there are none. Sections holding secrets (YAUTH) are
   * not kept.
   */
  config?: Record<string, string>;
}

/** Configuration sections that hold secrets: never kept (a restore asks anew). */
export const SECRET_CONFIG_SECTIONS: ReadonlySet<string> = new Set(['YAUTH']);

export interface MailSnapshot {
  /** By mailbox id. */
  mailboxes: Record<string, MailboxState>;
}

/** Folders every new mailbox has (user folders start at 256). */
export function systemFolders(): Record<string, FolderState> {
  // With the views Mailbox.createDefaultFolders gives them (USER_ROOT and Trash have none).
  const folders: [number, string, number, number?][] = [
    [1, 'USER_ROOT', 1],
    [2, 'Inbox', 1, VIEW.message],
    [3, 'Trash', 1],
    [4, 'Junk', 1, VIEW.message],
    [5, 'Sent', 1, VIEW.message],
    [6, 'Drafts', 1, VIEW.message],
    [7, 'Contacts', 1, VIEW.contact],
    [10, 'Calendar', 1, VIEW.appointment],
    [13, 'Emailed Contacts', 1, VIEW.contact],
    [14, 'Chats', 1, VIEW.message],
    [15, 'Tasks', 1, VIEW.task],
    [16, 'Briefcase', 1, VIEW.document],
  ];
  return Object.fromEntries(
    folders.map(([id, name, parentId, view]) => [
      String(id),
      view === undefined ? { name, parentId } : { name, parentId, view },
    ]),
  );
}
