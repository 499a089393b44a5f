import { isDeepStrictEqual } from 'node:util';
import type { EntityView, IncomingBlob, StoredBody } from '#core/index/apply-transaction.ts';
import type { EntityState } from '#core/index/index-entity.ts';
import type { RedoRecord } from '#core/redo/redo-record.ts';

/** The newest version of an entity, as the index keeps it. `state` null: deleted (a tombstone). */
export interface EntityHead {
  state: EntityState | null;
  /** Redo position and commit time of the transaction that made this version. */
  fromPos: string;
  fromTime: number;
  /** fromPos of the version before this one (with a tombstone: the last live one), null if none. */
  prevFrom: string | null;
  /**
   * When the version before this one ended (with it, its key); null if none, or stored before versions were
   * keyed by their end. Not this version's fromTime: a tombstone's successor begins later than it ended.
   */
  prevTo: number | null;
  /** The op that made this version. */
  op: string;
  /**
   * The versions just before this one, newest first, that may be stored in the head's item (see
   * `packedHeadItem`): each holds the bodies its successor holds. Absent: none.
   */
  riders?: EntityVersion[];
}

/** A closed version: a state and the interval [fromTime, toTime) it was valid in. */
export interface EntityVersion {
  mailboxId: number;
  key: string;
  state: EntityState;
  fromPos: string;
  fromTime: number;
  toPos: string;
  toTime: number;
  prevFrom: string | null;
  prevTo: number | null;
  op: string;
  /** The op that ended it (moved, flagged, deleted…). */
  endedBy: string;
  /** It ended because the entity was deleted (what undelete and `search --deleted` look for). */
  deleted: boolean;
}

export interface ChangedHead {
  mailboxId: number;
  key: string;
  head: EntityHead;
}

/**
 * An `EntityView` over the entities loaded for a batch of transactions, recording every change as a closed
 * version plus the final head of each touched entity. Changes within one transaction are one version: a
 * transaction is atomic, its intermediate states never existed for a reader.
 */
export class VersionOverlay implements EntityView {
  private readonly heads = new Map<number, Map<string, EntityHead | null>>();
  private readonly loadedRiders = new Map<string, readonly EntityVersion[]>();
  /** Entities loaded with a head that exists: a deletion has a stored head to remove. */
  private readonly stored = new Set<string>();
  /** Entities loaded from the list of a run a crash cut short, which deleted their heads (see markUnfinished). */
  private readonly unfinished = new Set<string>();
  private readonly complete = new Set<number>();
  private readonly incomingBlobs = new Map<string, IncomingBlob>();
  private readonly changed = new Map<number, Set<string>>();
  private position: { pos: string; time: number; op: string } | undefined;
  readonly versions: EntityVersion[] = [];
  readonly bodies: StoredBody[] = [];
  private readonly storedIncoming: IncomingBlob[] = [];
  /** Per incoming blob stored here, the mailboxes its delivery named that have not linked it yet. */
  private readonly awaitingLinks = new Map<string, Set<number>>();
  /**
   * The earliest position at which a body this batch linked a message to was stored, among bodies stored by
   * earlier batches: redo must not be cut between the two (see cleanCut).
   */
  linkedFrom: string | undefined;
  private readonly loadedIncoming = new Set<string>();
  private readonly joins = new Map<string, { mailboxId: number; convId: number; messageId: number }>();
  readonly warnings: string[] = [];
  /** Records whose result is not in the record, at the commit of their transaction (see EntityView). */
  readonly uncertainties: { record: RedoRecord; reason: string; pos: string; time: number }[] = [];

  /** Seeds one entity's head as stored (null: no head, or one that does not exist), riders included. */
  load(mailboxId: number, key: string, head: EntityHead | null): void {
    const id = `${mailboxId}\0${key}`;
    if (head?.riders?.length) this.loadedRiders.set(id, head.riders);
    else this.loadedRiders.delete(id);
    if (head?.state) this.stored.add(id);
    else this.stored.delete(id);
    this.mailbox(mailboxId).set(key, head);
  }

  /** The riders the entity's head carried when it was loaded (none if it had none). */
  ridersLoaded(mailboxId: number, key: string): readonly EntityVersion[] {
    return this.loadedRiders.get(`${mailboxId}\0${key}`) ?? [];
  }

  /**
   * The entity was loaded from what a run that a crash cut short before its commit listed: that run deleted
   * its head, and its retry will look for it in that list unless a head is stored (see entityWrites).
   */
  markUnfinished(mailboxId: number, key: string): void {
    this.unfinished.add(`${mailboxId}\0${key}`);
  }

  /** Whether the entity was loaded from the list of a run a crash cut short (markUnfinished). */
  isUnfinished(mailboxId: number, key: string): boolean {
    return this.unfinished.has(`${mailboxId}\0${key}`);
  }

  /** Whether the entity was loaded with a head that exists (one the index stores). */
  wasStored(mailboxId: number, key: string): boolean {
    return this.stored.has(`${mailboxId}\0${key}`);
  }

  /** Every head of the mailbox has been loaded: what is not known does not exist. */
  markComplete(mailboxId: number): void {
    this.complete.add(mailboxId);
  }

  isLoaded(mailboxId: number, key: string): boolean {
    return this.complete.has(mailboxId) || this.heads.get(mailboxId)?.has(key) === true;
  }

  isComplete(mailboxId: number): boolean {
    return this.complete.has(mailboxId);
  }

  loadIncoming(blob: IncomingBlob): void {
    this.incomingBlobs.set(blob.path, blob);
    this.loadedIncoming.add(blob.path);
  }

  hasIncoming(path: string): boolean {
    return this.incomingBlobs.has(path);
  }

  /** The transaction applied next: its commit position and time, and its op (for history). */
  begin(pos: string, time: number, op: string): void {
    this.position = { pos, time, op };
  }

  head(mailboxId: number, key: string): EntityHead | null {
    const head = this.heads.get(mailboxId)?.get(key);
    if (head === undefined && !this.complete.has(mailboxId))
      throw new Error(`entity ${mailboxId}/${key} was read without being loaded first`);
    return head ?? null;
  }

  get(mailboxId: number, key: string): EntityState | null {
    return this.head(mailboxId, key)?.state ?? null;
  }

  set(mailboxId: number, key: string, state: EntityState | null): void {
    const at = this.position;
    if (!at) throw new Error('VersionOverlay.set before begin()');
    const current = this.head(mailboxId, key);
    if (current && current.fromPos === at.pos) {
      current.state = state; // again in the same transaction: still one version, which may now be a deletion
      const closed = this.versions.findLast(
        (v) => v.toPos === at.pos && v.mailboxId === mailboxId && v.key === key,
      );
      if (closed) closed.deleted = state === null;
      return;
    }
    if (state === null && !current?.state) return;
    // A change to what it already is (a flag set again, a move to the same folder: clients send these, and the
    // server logs them) is no new version: no write, and the entity's change time stays, as in the server.
    if (state !== null && current?.state && isDeepStrictEqual(current.state, state)) return;
    if (current?.state) {
      this.versions.push({
        mailboxId,
        key,
        state: current.state,
        fromPos: current.fromPos,
        fromTime: current.fromTime,
        toPos: at.pos,
        toTime: at.time,
        prevFrom: current.prevFrom,
        prevTo: current.prevTo,
        op: current.op,
        endedBy: at.op,
        deleted: state === null,
      });
    }
    this.mailbox(mailboxId).set(key, {
      state,
      fromPos: at.pos,
      fromTime: at.time,
      prevFrom: current?.state ? current.fromPos : (current?.prevFrom ?? null),
      prevTo: current?.state ? at.time : (current?.prevTo ?? null),
      op: at.op,
    });
    let keys = this.changed.get(mailboxId);
    if (!keys) {
      keys = new Set();
      this.changed.set(mailboxId, keys);
    }
    keys.add(key);
  }

  /** Every message that joined a conversation in this batch (see `EntityView.joinConversation`). */
  get conversationJoins(): { mailboxId: number; convId: number; messageId: number }[] {
    return [...this.joins.values()];
  }

  joinConversation(mailboxId: number, convId: number, messageId: number): void {
    this.joins.set(`${mailboxId} ${convId} ${messageId}`, { mailboxId, convId, messageId });
  }

  *held(mailboxId: number): Iterable<readonly [string, EntityState]> {
    for (const [key, head] of this.heads.get(mailboxId) ?? []) if (head?.state) yield [key, head.state];
  }

  *list(mailboxId: number): Iterable<readonly [string, EntityState]> {
    if (!this.complete.has(mailboxId))
      throw new Error(`mailbox ${mailboxId} was listed without being loaded completely`);
    for (const [key, head] of this.heads.get(mailboxId) ?? []) if (head?.state) yield [key, head.state];
  }

  incoming(path: string, mailboxId: number): IncomingBlob | undefined {
    this.awaitingLinks.get(path)?.delete(mailboxId);
    const blob = this.incomingBlobs.get(path);
    const pos = this.loadedIncoming.has(path) ? blob?.pos : undefined;
    if (pos !== undefined && (this.linkedFrom === undefined || pos < this.linkedFrom)) this.linkedFrom = pos;
    return blob;
  }

  storeIncoming(blob: IncomingBlob, mailboxIds: readonly number[]): void {
    const stored = this.position ? { ...blob, pos: this.position.pos } : blob;
    this.incomingBlobs.set(blob.path, stored);
    this.loadedIncoming.delete(blob.path);
    this.storedIncoming.push(stored);
    if (mailboxIds.length > 0) this.awaitingLinks.set(blob.path, new Set(mailboxIds));
    else this.awaitingLinks.delete(blob.path);
  }

  /**
   * Incoming blobs stored here that a later batch may still link: every one but those each mailbox its
   * delivery named has linked already (the server links a shared delivery's body from those mailboxes only).
   * The others need no item of their own: the messages that hold them refer to their bodies.
   */
  get newIncoming(): IncomingBlob[] {
    return this.storedIncoming.filter((blob) => this.awaitingLinks.get(blob.path)?.size !== 0);
  }

  storeBody(body: StoredBody): void {
    this.bodies.push(body);
  }

  warn(message: string): void {
    this.warnings.push(message);
  }

  changedAt(mailboxId: number, key: string): number | undefined {
    return this.head(mailboxId, key)?.fromTime;
  }

  uncertain(record: RedoRecord, reason: string): void {
    const at = this.position;
    if (!at) throw new Error('VersionOverlay.uncertain before begin()');
    this.uncertainties.push({ record, reason, pos: at.pos, time: at.time });
  }

  /** The final head of every entity a transaction changed (tombstones for deleted ones). */
  changedHeads(): ChangedHead[] {
    const out: ChangedHead[] = [];
    for (const [mailboxId, keys] of this.changed)
      for (const key of keys) out.push({ mailboxId, key, head: this.head(mailboxId, key) as EntityHead });
    return out;
  }

  private mailbox(mailboxId: number): Map<string, EntityHead | null> {
    let map = this.heads.get(mailboxId);
    if (!map) {
      map = new Map();
      this.heads.set(mailboxId, map);
    }
    return map;
  }
}
