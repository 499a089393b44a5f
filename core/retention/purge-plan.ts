import { z } from 'zod';
import { stateOfItem } from '#core/index/entity-items.ts';
import { itemIdOf } from '#core/index/index-entity.ts';
import { parseOrThrow } from '#core/validation.ts';

/** What purge needs of a stored head or closed version (attribute names as the index stores them). */
export interface StoredEntity {
  readonly sk: string;
  /** Entity key (`item:257`, `tag:work`, `mailbox`). */
  readonly k: string;
  readonly st?: {
    readonly kind?: string;
    readonly sha256?: string | null;
    readonly revisions?: readonly { readonly sha256: string }[];
  } | null;
  /** A closed version's end time (ms); absent on a head. */
  readonly tt?: number;
}

const storedEntitySchema = z.looseObject({
  sk: z.string(),
  k: z.string(),
  st: z
    .looseObject({
      kind: z.string().optional(),
      sha256: z.string().nullable().optional(), // a contact's is null when it has no body
      revisions: z.array(z.looseObject({ sha256: z.string() })).optional(),
    })
    .nullable()
    .optional(),
  tt: z.number().optional(),
});

/** A head or closed version as read from the table, checked for what purge reads of it. */
export function storedEntityOf(item: Record<string, unknown>): StoredEntity {
  // A state stored deflated is read as if it were not.
  const plain = item.sz instanceof Uint8Array ? { ...item, st: stateOfItem(item) } : item;
  return parseOrThrow(storedEntitySchema, plain, `index item ${String(item.pk)} ${String(item.sk)}`);
}

/**
 * The blobs a version refers to: what the indexer writes references for (a message's body, a contact's,
 * a document's revisions; `bodiesOf` in core/index/index-entity.ts), read from the stored form.
 */
export function bodiesOf(e: StoredEntity): string[] {
  const kind = e.st?.kind;
  if ((kind === 'message' || kind === 'contact') && e.st?.sha256) return [e.st.sha256];
  return kind === 'document' ? (e.st?.revisions ?? []).map((r) => r.sha256) : [];
}

export interface MailboxPurge {
  /** Sort keys of the closed versions to remove: they ended before the cutoff. */
  readonly versions: string[];
  /** Items (folders, messages, contacts) of which nothing is left. */
  readonly itemsGone: number;
  /** Blob references no remaining version or head of the item needs any more. */
  readonly references: { readonly sha256: string; readonly itemId: number }[];
}

/**
 * Which of a mailbox's closed versions a purge at `cutoff` removes: every version that stopped being valid
 * before the cutoff is needed by no instant at or after it. Heads (what is valid now) stay, unless the
 * mailbox itself ended before the cutoff (`mailboxEnded`): its items' heads were valid only as long as the
 * mailbox, so everything goes. A blob reference of an item goes when no remaining version or head of that
 * item has that body.
 */
export function planMailboxPurge(
  entities: readonly StoredEntity[],
  cutoff: number,
  mailboxEnded = false,
): MailboxPurge {
  const removed = new Set<string>();
  const kept = new Map<string, StoredEntity[]>();
  const removedOf = new Map<string, StoredEntity[]>();
  for (const e of entities) {
    const goes = mailboxEnded || (e.tt !== undefined && e.tt < cutoff);
    if (goes) removed.add(e.sk);
    const bucket = goes ? removedOf : kept;
    bucket.set(e.k, [...(bucket.get(e.k) ?? []), e]);
  }
  let itemsGone = 0;
  const references: MailboxPurge['references'] = [];
  for (const [key, gone] of removedOf) {
    const itemId = itemIdOf(key);
    if (itemId === undefined) continue;
    const left = kept.get(key) ?? [];
    if (left.length === 0) itemsGone++;
    const stillNeeded = new Set(left.flatMap(bodiesOf));
    const bodies = new Set(gone.flatMap(bodiesOf));
    for (const sha256 of bodies) if (!stillNeeded.has(sha256)) references.push({ sha256, itemId });
  }
  return { versions: [...removed], itemsGone, references };
}

/**
 * Whether a mailbox's own entity (its head and closed versions) ended before `cutoff`: deleted, with its
 * last version closed before then. A live mailbox has a head with a state.
 */
export function mailboxEndedBefore(own: readonly StoredEntity[], cutoff: number): boolean {
  if (own.some((e) => e.tt === undefined && e.st)) return false;
  const ends = own.map((e) => e.tt).filter((t): t is number => t !== undefined);
  return ends.length > 0 && Math.max(...ends) < cutoff;
}
