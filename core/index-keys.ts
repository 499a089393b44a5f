import { MAILBOX_KEY } from '#core/index/index-entity.ts';

/** DynamoDB key layout of the index table. Fixed-width numbers keep lexical order equal to numeric order. */
const pad = (decimal: string | number, width = 20) => String(decimal).padStart(width, '0');

/** Hours an incoming body's reference protects it from a purge (it expires by TTL some days later). */
export const INCOMING_REF_HOURS = 24;

/** The sort-key (or partition-key) prefix of each kind of item: what `begins_with` queries ask for. */
export const keyPrefixes = {
  segment: 'SEG#',
  seal: 'FILE#',
  ldapDump: 'LDAP#',
  scan: 'SCAN#',
  bodyPack: 'BODYPACK#',
  quarantine: 'QUAR#',
  bridge: 'BRIDGE#',
  uncertain: 'UNCERTAIN#',
  cleanup: 'CLEANUP#',
  mailbox: 'MBX#',
  blob: 'BLOB#',
  blobRef: 'REF#',
  conversation: 'CONV#',
} as const;

const uncertainPrefix = (mailboxId: number) =>
  `${keyPrefixes.uncertain}${mailboxId < 0 ? 'ALL' : pad(mailboxId, 10)}#`;

export const indexKeys = {
  server: (serverId: string) => `SRV#${serverId}`,
  segment: (seq: string, firstOffset: string) => `${keyPrefixes.segment}${pad(seq)}#${pad(firstOffset)}`,
  /** A redo file's seal (final header): the file is complete. */
  seal: (seq: string) => `${keyPrefixes.seal}${pad(seq)}`,
  ldapDump: (dumpedAt: string) => `${keyPrefixes.ldapDump}${dumpedAt}`,
  /** A scan snapshot of one mailbox, by the redo position it was taken at (two scans may share one). */
  scan: (position: string, mailboxId: number, takenAt: string, scanId: string) =>
    `${keyPrefixes.scan}${position}#${pad(mailboxId, 10)}#${takenAt}#${scanId}`,
  /** A pack of bodies a scan shipped (an input: its bodies are copied into the indexer's packs). */
  bodyPack: (packedAt: string, sha256: string) => `${keyPrefixes.bodyPack}${packedAt}#${sha256}`,
  /** One item per server whose redo stream is indexed (sort key: the server id). */
  servers: 'SERVERS',
  /** Where indexing of a server's redo stream stands (one item in the server's partition). */
  cursor: 'CURSOR',
  /** A reindex of the server under way (one item in the server's partition): indexing waits while it wipes. */
  reindex: 'REINDEX',
  /** The server's closed versions are keyed by their end (one item in the server's partition, once moved). */
  versionKeys: 'VERSIONKEYS',
  /** The time of the last LDAP dump indexed into the server's directory scope. */
  directoryCursor: 'DIRCURSOR',
  /** A StoreIncomingBlob body by its path, for linked CreateMessage records. */
  incoming: (path: string) => `INC#${path}`,
  /**
   * The heads a segment's run deletes, listed before its writes (part `part` of the list): a retry after a
   * crash before its commit walks back from them; the list goes after the commit (lists of releases that
   * wrote tombstones name those, deleted by whoever indexes next).
   */
  cleanup: (position: string, part: number) => `${keyPrefixes.cleanup}${position}#${pad(part, 4)}`,
  /** A segment that could not be indexed, with the reason. */
  quarantine: (seq: string, firstOffset: string) =>
    `${keyPrefixes.quarantine}${pad(seq)}#${pad(firstOffset)}`,
  /**
   * A record the indexer could not decode (an op code no known release writes, or data that does not read):
   * its mailbox (ALL for records that name every mailbox) is uncertain from that redo position on.
   */
  uncertain: (mailboxId: number, position: string) => `${uncertainPrefix(mailboxId)}${position}`,
  /** The uncertain marks of one mailbox (ALL: of records that name every mailbox). */
  uncertainOf: (mailboxId: number) => uncertainPrefix(mailboxId),
  /** Where an operator let indexing go on past a gap (redo lost between the cursor then and the next segment). */
  bridge: (seq: string, offset: string) => `${keyPrefixes.bridge}${pad(seq)}#${pad(offset)}`,
  mailbox: (serverId: string, mailboxId: number) => `${keyPrefixes.mailbox}${serverId}#${mailboxId}`,
  /**
   * In a mailbox's partition: the messages that joined a conversation, whose ids lie in one span of
   * CONVERSATION_SPAN ids (`ms`, a set: a join adds to it). Messages of one thread come close together,
   * so the joins a segment makes to one conversation are one write. The messages that joined a conversation
   * are a superset of those in it: a conversation's messages are read from these, then checked against their
   * own heads. (Releases before these wrote an item per join, `CONV#<conv>#<message>`: read the same way.)
   */
  conversationSpan: (convId: number, messageId: number) =>
    `${keyPrefixes.conversation}${pad(convId, 10)}#S${pad(Math.floor(messageId / CONVERSATION_SPAN), 8)}`,
  /** A message that joined a conversation, as releases before the spans wrote it (read, never written). */
  conversationMember: (convId: number, messageId: number) =>
    `${keyPrefixes.conversation}${pad(convId, 10)}#${pad(messageId, 10)}`,
  /** The prefix of a conversation's join items. */
  conversationMembers: (convId: number) => `${keyPrefixes.conversation}${pad(convId, 10)}#`,
  /** The mailboxes an account (zimbraId) has had. */
  account: (accountId: string) => `ACCT#${accountId}`,
  accountMailbox: (serverId: string, mailboxId: number) => `${keyPrefixes.mailbox}${serverId}#${mailboxId}`,
  /** Who refers to a blob: one item per (server, mailbox, item). */
  blob: (sha256: string) => `${keyPrefixes.blob}${sha256}`,
  blobRef: (serverId: string, mailboxId: number, itemId: number) =>
    `${keyPrefixes.blobRef}${serverId}#${mailboxId}#${itemId}`,
  /**
   * A body a StoreIncomingBlob carried, not linked to a message yet (the CreateMessage may come segments
   * later): a reference for a while, so a purge does not sweep it in between (see INCOMING_REF_HOURS).
   */
  incomingRef: (serverId: string, path: string) =>
    `${keyPrefixes.blobRef}${serverId}#incoming#${encodeURIComponent(path)}`,
  /** Under `BLOB#<sha256>`: where the body lies (its pack, offset, length, codec, key id). */
  location: 'LOC',
  /** Under `BLOB#<sha256>`: a purge deleted (or is deleting) the blob; whoever refers to it again writes it. */
  purged: 'PURGED',
  /**
   * Under `BLOB#<sha256>`: the stored object (by its ETag) was read and its content has this digest. A blob the
   * indexer did not write itself (an agent's, or one created under another's digest) is believed only so.
   */
  verified: 'VERIFIED',
  /** Blobs a purge found unreferenced but held by Object Lock, one item each (sort key: the digest). */
  waitingBlobs: 'LOCKED',
  /** Packs a repack would free but Object Lock or a legal hold keeps, one item each (sort key: the pack's key). */
  waitingPacks: 'LOCKEDPACK',
  /**
   * Sweeps that drop body locations, one item each (sort key: the sweep's id): when each started and finished,
   * so an indexer knows whether one ran while it wrote a segment (see `sweptSince`).
   */
  sweeps: 'SWEEPS',
  /**
   * An object under S3 legal hold (sort key `HOLD`): `holders`, the accounts whose holds need it; `flaggedAt`,
   * when the flag was last set. The flag is cleared when the last holder goes.
   */
  heldObject: (key: string) => `HELDOBJ#${key}`,
  /** The objects a legal hold on the account flagged, one item each (sort key: the object key). */
  heldBy: (accountId: string) => `HELDBY#${accountId}`,
  /** Objects a coherency check moved to `quarantine/`, one item each (sort key: the object's original key). */
  quarantined: 'QUARANTINED',
} as const;

/**
 * Where an entity's head (`H#…`, its newest version) and closed versions live. A mailbox's own entity sits in
 * the server's partition, so a server's mailboxes list in one query; every other entity sits in its
 * mailbox's partition, its closed versions keyed by the instant they ended (`V#<toTime>#<key>#<fromPos>`):
 * "as of T" reads the versions that ended after T as one range of the partition, with no index entry to pay
 * for on every write. A mailbox's own versions are few and read by mailbox, so they stay keyed by it.
 */
/** Message ids a conversation span item covers: its set stays well within one write unit. */
export const CONVERSATION_SPAN = 128;

export function entityKeys(serverId: string, mailboxId: number, key: string) {
  const own = key === MAILBOX_KEY;
  const suffix = own ? `MBX#${pad(mailboxId, 10)}` : key;
  return {
    pk: own ? indexKeys.server(serverId) : indexKeys.mailbox(serverId, mailboxId),
    head: `H#${suffix}`,
    /** A closed version, by the instant (ms) it ended and the position it began at. */
    version: (toTime: number, fromPos: string) =>
      own ? `V#${suffix}#${fromPos}` : `V#${endKey(toTime)}#${suffix}#${fromPos}`,
    /**
     * A version keyed by its entity: how a mailbox's own are kept, and how the others were before versions
     * were keyed by their end (read only to move them). With `fromPos` '', the prefix of them all.
     */
    entityVersion: (fromPos: string) => `V#${suffix}#${fromPos}`,
  };
}

/** The partition of a scope's entities (a mailbox's items, or the directory). */
export function scopeKeys(serverId: string, scope: number) {
  return { pk: indexKeys.mailbox(serverId, scope) };
}

/** The latest end time a version key can hold (ms, 15 digits with room for the bound after it). */
export const LATEST_END = 10 ** 15 - 2;

const endKey = (time: number) => pad(Math.min(LATEST_END + 1, Math.max(0, Math.floor(time))), 15);

/**
 * Sort-key bounds (for `BETWEEN`, both inclusive) of a scope's closed versions that ended in [from, to] ms:
 * no key lies at the upper bound itself, and the versions of the old layout (`V#<key>#…`) lie outside.
 */
export function versionsEnded(from: number, to = LATEST_END): { from: string; to: string } {
  return { from: `V#${endKey(from)}#`, to: `V#${endKey(Math.min(to, LATEST_END) + 1)}#` };
}

/** The old layout's version keys in a mailbox partition (`V#` then a letter), moved by `upgradeVersionKeys`. */
export const LEGACY_VERSION_KEYS = { from: 'V#:', to: 'V#\uffff' } as const;

export const operationKeys = {
  operation: (id: string) => ({ pk: `OP#${id}`, sk: 'OP' }),
  /** A server's report on its share of an operation, kept with the operation. */
  report: (id: string, serverId: string) => ({ pk: `OP#${id}`, sk: `REPORT#${serverId}` }),
  /** Every share report of an operation: its partition and the prefix of their sort keys. */
  reportsOf: (id: string) => ({ pk: `OP#${id}`, skPrefix: 'REPORT#' }),
  /** The retention policy (one item) and legal holds (one per account). */
  retention: { pk: 'POLICY', sk: 'RETENTION' },
  hold: (accountId: string) => ({ pk: 'POLICY', sk: `HOLD#${accountId}` }),
  /** The audit trail of hold and retention changes, in time order (kept like the policy: never expires). */
  audit: (at: string, id: string) => ({ pk: 'AUDIT', sk: `${at}#${id}` }),
  /** An operation's share for one agent: listed by the agent in the order operations were created. */
  dispatch: (serverId: string, createdAt: string, id: string) => ({
    pk: `AGENT#${serverId}`,
    sk: `OP#${createdAt}#${id}`,
  }),
  /** Every dispatch of a server: its partition and the prefix of their sort keys. */
  dispatchesOf: (serverId: string) => ({ pk: `AGENT#${serverId}`, skPrefix: 'OP#' }),
  /** What a server's agent last said it shipped: one item per server, all in one partition. */
  agentReport: (serverId: string) => ({ pk: 'AGENTS', sk: serverId }),
  agentReports: { pk: 'AGENTS' },
} as const;
