import type { EntityState } from '#core/index/index-entity.ts';
import type { EntityHead, EntityVersion } from '#core/index/version-overlay.ts';
import { entityKeys, historySortKey } from '#core/index-keys.ts';

// How heads and closed versions are stored: short attribute names, since every byte is paid per write.
// k entity key, m mailbox id, st state (absent on a tombstone), fp/ft from position/time, tp/tt to
// position/time, pp previous version's fromPos, op the op that made it, by the op that ended it, dl
// present when it ended in a deletion.

export type Item = Record<string, unknown>;

export interface StoredHead extends EntityHead {
  mailboxId: number;
  key: string;
}

export function headItem(serverId: string, mailboxId: number, key: string, head: EntityHead): Item {
  const keys = entityKeys(serverId, mailboxId, key);
  return {
    pk: keys.pk,
    sk: keys.head,
    k: key,
    m: mailboxId,
    ...(head.state ? { st: head.state } : {}),
    fp: head.fromPos,
    ft: head.fromTime,
    ...(head.prevFrom !== null ? { pp: head.prevFrom } : {}),
    op: head.op,
  };
}

export function versionItem(serverId: string, v: EntityVersion): Item {
  const keys = entityKeys(serverId, v.mailboxId, v.key);
  return {
    pk: keys.pk,
    sk: keys.version(v.fromPos),
    k: v.key,
    m: v.mailboxId,
    st: v.state,
    fp: v.fromPos,
    ft: v.fromTime,
    tp: v.toPos,
    tt: v.toTime,
    ...(v.prevFrom !== null ? { pp: v.prevFrom } : {}),
    op: v.op,
    by: v.endedBy,
    ...(v.deleted ? { dl: true } : {}),
    gsi1pk: keys.historyPk,
    gsi1sk: historySortKey(v.toTime),
  };
}

export function headFromItem(item: Item): StoredHead {
  return {
    mailboxId: item.m as number,
    key: item.k as string,
    state: (item.st as EntityState | undefined) ?? null,
    fromPos: item.fp as string,
    fromTime: item.ft as number,
    prevFrom: (item.pp as string | undefined) ?? null,
    op: item.op as string,
  };
}

export function versionFromItem(item: Item): EntityVersion {
  return {
    mailboxId: item.m as number,
    key: item.k as string,
    state: item.st as EntityState,
    fromPos: item.fp as string,
    fromTime: item.ft as number,
    toPos: item.tp as string,
    toTime: item.tt as number,
    prevFrom: (item.pp as string | undefined) ?? null,
    op: item.op as string,
    endedBy: item.by as string,
    deleted: item.dl === true,
  };
}
