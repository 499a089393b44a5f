/**
 * The backup bucket's top-level prefixes: what each holds is named once here, and the stack grants each
 * function exactly the prefixes it needs from these.
 */
export const BUCKET = {
  /** What each server's agent ships: redo segments, seals, LDAP dumps, scan snapshots and body packs. */
  servers: 'servers/',
  /** Bodies stored one object each (from before packs, and imports). */
  blobs: 'blobs/',
  /** The indexer's packs of bodies. */
  packs: 'packs/',
  /** Operations' plans, work items, results, reports and restore bundles. */
  operations: 'operations/',
  /** Exports written into this bucket. */
  exports: 'exports/',
  /** Objects a coherency check set aside. */
  quarantine: 'quarantine/',
  /** Daily exports of the index and operations tables (DynamoDB export), replicated with the rest. */
  indexExports: 'index-exports/',
  /** Restore drills' signed attestations, kept (and locked) like backups: the evidence that they restore. */
  drills: 'drills/',
} as const;
