/**
 * The control API's contract: what each query route answers. The Control function builds these shapes and
 * the CLI (and the console page) read them; neither side defines them again.
 */
import type { EntityState } from '#core/index/index-entity.ts';

/** The item types search tells apart (`all`: every one). */
export const SEARCH_TYPES = [
  'message',
  'contact',
  'appointment',
  'task',
  'document',
  'wiki',
  'note',
  'comment',
  'all',
] as const;

export type SearchType = (typeof SEARCH_TYPES)[number];

/** A run of contiguous indexed segments: every instant from `from` to `to` can be restored. */
export interface RedoRange {
  from: string;
  to: string;
  firstSeq: string;
  lastSeq: string;
  segments: number;
  bytes: number;
  storedBytes: number;
}

export interface RestorePoints {
  serverId: string;
  redo: RedoRange[];
  ldapDumps: { dumpedAt: string; entries: number; bytes: number; storedBytes: number }[];
  /** Segments catalogued but not (yet) indexed, and why indexing stands still. */
  waiting: {
    segments: number;
    state: string;
    reason?: string;
    at?: { seq: string; offset: string };
    /** A reindex under way (wiping the old index, or indexing the stream again). */
    reindex?: { operationId: string; phase: string; startedAt: string };
  };
  /** Segments a purge removed (older than every retention), up to the last operation time among them. */
  purged: { segments: number; until?: string };
  quarantined: { segment: string; s3Key: string; reason: string; since: string }[];
  /**
   * Committed ops of indexed segments whose mailbox data this build does not apply (none in this release; a
   * build that knows fewer ops than the one that wrote the index counts them), by op: kept in the redo
   * segments, not restorable until a reindex by a build that applies them.
   */
  notApplied: Record<string, number>;
  /**
   * Records indexing skipped because they do not decode (an op code of a newer release, data that does not
   * read): counted per op and record version, each with its segment and byte position; their mailboxes are
   * uncertain from there until a scan restates them.
   */
  undecoded: {
    byOp: Record<string, number>;
    records: {
      s3Key: string;
      offset: number;
      op: string;
      version: string;
      mailboxId: number;
      reason: string;
      /** The redo position of the scan that restated the mailbox since, if one did. */
      restatedAt?: string;
    }[];
  };
  /**
   * Committed ops whose result the record does not carry (a retention purge, a server's calendar fix), in
   * the same form: nothing applied, their mailboxes uncertain from there until a scan restates them.
   */
  resultNotRecorded: RestorePoints['undecoded'];
  /**
   * Gaps an operator let indexing go past: redo between `from` and `to` is lost, and the listed mailboxes are
   * approximate from there until a scan restates them.
   */
  bridges: {
    from: string;
    to: string;
    reason: string;
    bridgedAt: string;
    /** Who accepted the loss, when recorded. */
    requestedBy?: string;
    mailboxes: number;
    unscanned: number[];
  }[];
}

export interface ItemState {
  from: string;
  /** Absent: still current. */
  to?: string;
  op: string;
  endedBy?: string;
  state: EntityState;
}

export interface AccountRow {
  serverId: string;
  mailboxId: number;
  accountId: string;
  /** Its name at `at`: from the LDAP dumps, else the name a RenameMailbox gave it. */
  name: string | null;
  createdAt: string;
  /** When the mailbox was deleted, if it was by `at`. */
  deletedAt?: string;
}

export interface DomainRow {
  serverId: string;
  zimbraId: string;
  name: string;
  status?: string;
}

/** One mailbox snapshot of a scan, as the indexer recorded it: what it found wrong in the index and fixed. */
export interface ScanRow {
  scanId: string;
  scanKind: string;
  mailboxId: number;
  accountId: string;
  position: string;
  takenAt: string;
  /** pending, applied, rejected, skipped (before a reindex's base) or purged. */
  state: string;
  late?: boolean;
  changes?: { added: number; changed: number; deleted: number; unchanged: number; mailboxAdded: boolean };
  reason?: string;
  /** With one scan asked for: the first changes, each with the fields the index had wrong. */
  details?: { key: string; change: string; fields?: string[] }[];
}

export interface FolderSummary {
  id: number;
  path: string;
  /** A saved search or a mountpoint: it holds no items of its own. */
  kind?: 'search' | 'mountpoint';
  messages: number;
  contacts: number;
  appointments: number;
  tasks: number;
  documents: number;
  notes: number;
  bytes: number;
}

export interface MailboxRef {
  serverId: string;
  mailboxId: number;
}

/** Why a mailbox's state at an instant may be incomplete: a record indexing could not decode, not restated yet. */
export interface UncertainNote {
  since: string;
  op: string;
  version: string;
  s3Key: string;
  offset: number;
  reason: string;
}

export interface FoundItem {
  id: number;
  type: Exclude<SearchType, 'all'>;
  folderId: number;
  subject?: string;
  from?: string;
  /** Messages: recipients (To and Cc) and attachment names, where the backup read them. */
  to?: string;
  attachments?: string[];
  /** Messages: when received. */
  receivedDate?: string;
  /** Comments: the document commented on. */
  documentId?: number;
  /** Documents: how many revisions are kept. */
  revisions?: number;
  /** Appointments and tasks: the start (due, for a task) as the server wrote it. */
  start?: string;
  uid?: string;
  size?: number;
  flags?: number;
  tags?: string[];
  sha256?: string | null;
  /** With `deleted`: when and by what. */
  deletedAt?: string;
  deletedBy?: string;
}

/** "Is my backup current?": what the agent shipped, what the index applied, and the difference. */
export interface ServerStatus {
  serverId: string;
  /** What the agent last reported, and when the agent API received it; null if it never did. */
  agent: {
    receivedAt: string;
    announced: { sequence: string; offset: number; at: string; lastOpTime?: string } | null;
    live: { sequence: string; offset: number; at: string } | null;
    lagSeconds: number;
    lagBytes: number;
    spool: { entries: number; bytes: number };
    lastError: { at: string; message: string } | null;
    gaps: number;
    agentVersion?: string;
  } | null;
  index: {
    /** ok, gap, quarantined, reindexing, or not started. */
    state: string;
    reason?: string;
    /** Everything before this position is applied. */
    appliedTo: { sequence: string; offset: number } | null;
    /** The time of the last commit applied: a restore can reach up to it. */
    appliedOpTime: string | null;
    /** Segments in the catalogue not indexed yet. */
    waitingSegments: number;
  };
  /** From the index's position to the agent's announced one; null where a side is unknown. */
  behind: { bytes: number | null; seconds: number | null };
}
