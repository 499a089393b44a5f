/**
 * The control API's contract: what each query route answers. The Control function builds these shapes and
 * the CLI (and the console page) read them; neither side defines them again.
 */
import type { QuarantineRecord } from '#core/coherency/coherency-request.ts';
import type { SignedAttestation } from '#core/drill/drill-attestation.ts';
import type { EntityState } from '#core/index/index-entity.ts';
import type { Dispatch, Operation } from '#core/operation.ts';
import type { LegalHold, RetentionAuditEntry, RetentionPolicy } from '#core/retention/retention-policy.ts';
import type { BodyLocation } from '#core/storage/body-location.ts';

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

/** A restore drill as its attestation says, not yet verified (`offsite drill show --verify` checks it). */
export interface DrillRow {
  drillId: string;
  key: string;
  startedAt: string;
  finishedAt: string;
  outcome: 'passed' | 'failed';
  reason?: string;
  accounts: number;
  items: number;
  bodiesVerified: number;
  mismatches: number;
  keyId: string;
}

/** The public key drills are verified with (DER SubjectPublicKeyInfo as PEM). */
export interface DrillKeyView {
  keyId: string;
  algorithm: string;
  publicKey: string;
}

/**
 * Every route of the control API and of the agents' API: its method and path, with named parameters. The
 * Control and AgentControl functions route by this table (`matchRoute`) and the CLI builds its requests from it
 * (`routePath`), so a path is written once.
 */
export const CONTROL_ROUTES = {
  health: { method: 'GET', path: '/health' },
  status: { method: 'GET', path: '/status' },
  servers: { method: 'GET', path: '/servers' },
  serverStatus: { method: 'GET', path: '/servers/:serverId/status' },
  restorePoints: { method: 'GET', path: '/servers/:serverId/restore-points' },
  scans: { method: 'GET', path: '/servers/:serverId/scans' },
  bridge: { method: 'POST', path: '/servers/:serverId/bridge' },
  accounts: { method: 'GET', path: '/accounts' },
  domains: { method: 'GET', path: '/domains' },
  mailbox: { method: 'GET', path: '/mailboxes/:account' },
  item: { method: 'GET', path: '/mailboxes/:account/items/:itemId' },
  search: { method: 'GET', path: '/mailboxes/:account/search' },
  quarantine: { method: 'GET', path: '/quarantine' },
  operations: { method: 'GET', path: '/operations' },
  createOperation: { method: 'POST', path: '/operations' },
  operation: { method: 'GET', path: '/operations/:operationId' },
  stopOperation: { method: 'POST', path: '/operations/:operationId/stop' },
  retention: { method: 'GET', path: '/retention' },
  setRetention: { method: 'POST', path: '/retention' },
  retentionAudit: { method: 'GET', path: '/retention/audit' },
  placeHold: { method: 'POST', path: '/holds' },
  releaseHold: { method: 'POST', path: '/holds/:accountId/release' },
  drills: { method: 'GET', path: '/drills' },
  drillKey: { method: 'GET', path: '/drills/public-key' },
  drill: { method: 'GET', path: '/drills/:operationId' },
  // The agents' own routes (served by the agent API, and by the control API to operators).
  dispatches: { method: 'GET', path: '/servers/:serverId/dispatches' },
  dispatch: { method: 'GET', path: '/servers/:serverId/dispatches/:operationId' },
  claimDispatch: { method: 'POST', path: '/servers/:serverId/dispatches/:operationId/claim' },
  reportDispatch: { method: 'POST', path: '/servers/:serverId/dispatches/:operationId/report' },
  knownBlobs: { method: 'POST', path: '/servers/:serverId/blobs/known' },
  agentReport: { method: 'POST', path: '/servers/:serverId/agent-report' },
} as const satisfies Record<string, { method: 'GET' | 'POST'; path: string }>;

export type RouteName = keyof typeof CONTROL_ROUTES;

/** The routes the agents' API serves: what a mail host's identity may ask. */
export const AGENT_ROUTES = [
  'health',
  'dispatches',
  'dispatch',
  'claimDispatch',
  'reportDispatch',
  'knownBlobs',
  'agentReport',
] as const satisfies readonly RouteName[];

/** What each path parameter may be: anything else is no route (a 404, never a lookup). */
const PARAM_PATTERNS: Readonly<Record<string, string>> = {
  serverId: '[A-Za-z0-9._-]{1,64}',
  account: '[^/]{1,320}',
  itemId: '\\d{1,10}',
  operationId: '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}',
  accountId: '[A-Za-z0-9-]{1,127}',
};

type ParamNames<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? Name | ParamNames<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? Name
    : never;

/** The path parameters of a route, by name. */
export type RouteParams<N extends RouteName> = {
  [K in ParamNames<(typeof CONTROL_ROUTES)[N]['path']>]: string;
};

export type QueryValue = string | number | boolean | undefined;

/** The request path of a route: parameters encoded, query parameters left out when undefined or false. */
export function routePath<N extends RouteName>(
  name: N,
  params: RouteParams<N>,
  query: Readonly<Record<string, QueryValue>> = {},
): string {
  const values = params as Record<string, string>;
  const path = CONTROL_ROUTES[name].path.replace(/:([A-Za-z]+)/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`route ${name} needs its ${key}`);
    return encodeURIComponent(value);
  });
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query))
    if (value !== undefined && value !== false) search.set(key, String(value));
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

const MATCHERS = Object.entries(CONTROL_ROUTES).map(([name, route]) => {
  const keys: string[] = [];
  const source = route.path.replace(/:([A-Za-z]+)/g, (_, key: string) => {
    keys.push(key);
    return `(${PARAM_PATTERNS[key] ?? '[^/]+'})`;
  });
  return { name: name as RouteName, method: route.method, pattern: new RegExp(`^${source}$`), keys };
});

/** The route a request names, with its path parameters decoded; undefined when none does. */
export function matchRoute(
  method: string,
  path: string,
): { name: RouteName; params: Record<string, string> } | undefined {
  for (const m of MATCHERS) {
    if (m.method !== method) continue;
    const found = m.pattern.exec(path);
    if (!found) continue;
    const params: Record<string, string> = {};
    try {
      m.keys.forEach((key, i) => {
        params[key] = decodeURIComponent(found[i + 1] as string);
      });
    } catch {
      // A malformed escape (%zz) names nothing.
      return undefined;
    }
    return { name: m.name, params };
  }
  return undefined;
}

/** A mailbox as of an instant: its folders with what they held. */
export interface MailboxView extends MailboxRef {
  at: string;
  accountId: string;
  name: string | null;
  folders: FolderSummary[];
  uncertain: UncertainNote[];
  cost: { itemsRead: number; readUnits: number };
}

/** One item's history, and where its packed bodies lie (a body stored alone has no entry). */
export interface ItemView extends MailboxRef {
  itemId: number;
  history: ItemState[];
  bodies?: Record<string, BodyLocation>;
}

export interface RetentionView {
  policy: RetentionPolicy & { updatedAt?: string };
  holds: LegalHold[];
}

/** What an agent may learn of an operation dispatched to it. */
export type DispatchedView = Pick<Operation, 'id' | 'kind' | 'state' | 'updatedAt'>;

/** What each route answers (its 2xx body). */
export interface ControlAnswers {
  health: { ok: true };
  status: { servers: ServerStatus[] };
  servers: { servers: string[] };
  serverStatus: ServerStatus;
  /** With `?status=1`, the server's status too (one read of the index for both). */
  restorePoints: RestorePoints & { status?: ServerStatus };
  scans: { scans: ScanRow[] };
  bridge: { requested: true; serverId: string; at: { seq: string; offset: string }; reason: string };
  accounts: { accounts: AccountRow[] };
  domains: { domains: DomainRow[] };
  mailbox: MailboxView;
  item: ItemView;
  search: MailboxRef & { items: FoundItem[] };
  quarantine: { quarantined: QuarantineRecord[] };
  operations: { operations: Operation[] };
  createOperation: Operation;
  operation: Operation;
  stopOperation: Operation;
  retention: RetentionView;
  setRetention: RetentionView;
  retentionAudit: { audit: RetentionAuditEntry[] };
  placeHold: LegalHold & { operationId: string };
  releaseHold: { accountId: string; released: boolean; operationId: string };
  drills: { drills: DrillRow[] };
  drillKey: DrillKeyView;
  drill: { key: string; envelope: SignedAttestation };
  dispatches: { dispatches: Dispatch[] };
  dispatch: DispatchedView;
  claimDispatch: { dispatch: Dispatch };
  reportDispatch: DispatchedView;
  knownBlobs: { known: string[] };
  agentReport: { receivedAt: string };
}
