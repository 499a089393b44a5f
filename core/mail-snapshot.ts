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
}

export interface ContactState {
  folderId: number;
  fields: Record<string, string>;
  /** SHA-256 hex of the contact blob (vCard-like bytes), when there is one. */
  sha256: string | null;
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
}

export interface FolderState {
  name: string;
  parentId: number;
}

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
}

export interface MailSnapshot {
  /** By mailbox id. */
  mailboxes: Record<string, MailboxState>;
}

/** Folders every new mailbox has (user folders start at 256). */
export function systemFolders(): Record<string, FolderState> {
  const folders: [number, string, number][] = [
    [1, 'USER_ROOT', 1],
    [2, 'Inbox', 1],
    [3, 'Trash', 1],
    [4, 'Junk', 1],
    [5, 'Sent', 1],
    [6, 'Drafts', 1],
    [7, 'Contacts', 1],
    [10, 'Calendar', 1],
    [13, 'Emailed Contacts', 1],
    [15, 'Tasks', 1],
    [16, 'Briefcase', 1],
  ];
  return Object.fromEntries(folders.map(([id, name, parentId]) => [String(id), { name, parentId }]));
}

/** Messages in Trash older than this at a PurgeOldMessages are purged (the server's default trash lifetime). */
export const TRASH_LIFETIME_MS = 30 * 24 * 3600 * 1000;
