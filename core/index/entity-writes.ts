import { isDeepStrictEqual } from 'node:util';
import {
  headItem,
  type Item,
  type PackedItem,
  packedHeadItem,
  packedVersionItem,
} from '#core/index/entity-items.ts';
import { bodiesOf, type EntityState } from '#core/index/index-entity.ts';
import type { EntityHead, EntityVersion, VersionOverlay } from '#core/index/version-overlay.ts';
import { entityKeys } from '#core/index-keys.ts';

/**
 * A deleted entity whose stored head goes: where the closed version that the deletion ended lies (its head
 * as it was, a tombstone, said the same), so a retry of the run can walk back from it.
 */
export interface HeadDeletion {
  /** The head's key. */
  pk: string;
  sk: string;
  mailboxId: number;
  key: string;
  /** fromPos and end time of the version the deletion closed. */
  prevFrom: string | null;
  prevTo: number | null;
}

export interface EntityWrites {
  /** Closed versions' items (each carrying the riders that fit): written before the heads. */
  versions: Item[];
  /** The changed entities' heads that exist after the run, each carrying its riders. */
  heads: Item[];
  /** The heads of entities the run deleted, to delete with the heads' writes. */
  deletions: HeadDeletion[];
}

/**
 * The items an overlay's changes are stored as. Each changed entity's versions, newest first (those closed
 * in this batch, then the riders its head carried), ride in the nearest newer item of the chain — its head,
 * or a version stored on its own — while they hold the bodies their successor holds and fit in that item's
 * write units; a deletion's closed version and a version whose body differs from its successor's are stored
 * on their own, and carry the older ones in turn. So a flag or a move costs one write (the head) where it
 * cost two, and a purge that keeps an item keeps no body only its riders held.
 */
export function entityWrites(
  serverId: string,
  overlay: VersionOverlay,
  options: {
    /**
     * The writes are not a segment's run (a scan's): an entity deleted by a segment's run that a crash cut
     * short, and deleted again here, gets a tombstone head, so that run's retry finds it deleted here and
     * does not walk back from what it listed.
     */
    tombstoneUnfinished?: boolean;
  } = {},
): EntityWrites {
  const closed = new Map<string, EntityVersion[]>();
  for (const v of overlay.versions) {
    const id = `${v.mailboxId}\0${v.key}`;
    closed.set(id, [...(closed.get(id) ?? []), v]);
  }
  const out: EntityWrites = { versions: [], heads: [], deletions: [] };
  for (const { mailboxId, key, head } of overlay.changedHeads()) {
    const chain = [
      ...(closed.get(`${mailboxId}\0${key}`) ?? []).reverse(),
      ...overlay.ridersLoaded(mailboxId, key),
    ];
    const carriers: { top: EntityHead | EntityVersion; riders: EntityVersion[] }[] = [];
    if (head.state) carriers.push({ top: head, riders: [] });
    else if (options.tombstoneUnfinished && overlay.isUnfinished(mailboxId, key))
      out.heads.push(headItem(serverId, mailboxId, key, head));
    else if (overlay.wasStored(mailboxId, key)) {
      // No tombstone: the head goes, and the deletion's closed version (an item of its own) remains.
      const keys = entityKeys(serverId, mailboxId, key);
      out.deletions.push({
        pk: keys.pk,
        sk: keys.head,
        mailboxId,
        key,
        prevFrom: head.prevFrom,
        prevTo: head.prevTo,
      });
    }
    let successor: EntityState | null = head.state;
    for (const v of chain) {
      const carrier = carriers.at(-1);
      if (carrier && !v.deleted && successor && sameBodies(v.state, successor)) carrier.riders.push(v);
      else carriers.push({ top: v, riders: [] });
      successor = v.state;
    }
    for (const [i, { top, riders }] of carriers.entries()) {
      let packed: PackedItem =
        i === 0 && head.state
          ? packedHeadItem(serverId, mailboxId, key, { ...(top as EntityHead), riders })
          : packedVersionItem(serverId, top as EntityVersion, riders);
      (i === 0 && head.state ? out.heads : out.versions).push(packed.item);
      // What did not fit is stored on its own, carrying the older ones that fit there.
      while (packed.spilled.length > 0) {
        const [first, ...rest] = packed.spilled as [EntityVersion, ...EntityVersion[]];
        packed = packedVersionItem(serverId, first, rest);
        out.versions.push(packed.item);
      }
    }
  }
  return out;
}

function sameBodies(a: EntityState, b: EntityState): boolean {
  const shas = (s: EntityState) => bodiesOf(s).map((body) => body.sha256);
  return isDeepStrictEqual(shas(a), shas(b));
}
