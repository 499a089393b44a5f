import { z } from 'zod';
import type { EntityState } from '#core/index/index-entity.ts';
import type { EntityHead, EntityVersion } from '#core/index/version-overlay.ts';
import { entityKeys } from '#core/index-keys.ts';
import { parseOrThrow } from '#core/validation.ts';

// How heads and closed versions are stored: short attribute names, since every byte is paid per write.
// k entity key, m mailbox id, st state (absent on a tombstone), fp/ft from position/time, tp/tt to
// position/time, pp/pt the previous version's fromPos and toTime (its key), op the op that made it, by the
// op that ended it, dl present when it ended in a deletion.

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
    ...(head.prevTo !== null ? { pt: head.prevTo } : {}),
    op: head.op,
  };
}

export function versionItem(serverId: string, v: EntityVersion): Item {
  const keys = entityKeys(serverId, v.mailboxId, v.key);
  return {
    pk: keys.pk,
    sk: keys.version(v.toTime, v.fromPos),
    k: v.key,
    m: v.mailboxId,
    st: v.state,
    fp: v.fromPos,
    ft: v.fromTime,
    tp: v.toPos,
    tt: v.toTime,
    ...(v.prevFrom !== null ? { pp: v.prevFrom } : {}),
    ...(v.prevTo !== null ? { pt: v.prevTo } : {}),
    op: v.op,
    by: v.endedBy,
    ...(v.deleted ? { dl: true } : {}),
  };
}

const ENTITY_KINDS = [
  'mailbox',
  'folder',
  'tag',
  'config',
  'message',
  'contact',
  'calendar',
  'document',
  'note',
  'directory',
  'name',
] as const satisfies readonly EntityState['kind'][];

const kinds: ReadonlySet<unknown> = new Set(ENTITY_KINDS);
/** The state is checked to be an entity of a known kind; its fields are the apply code's (core/index). */
const entityState = z.custom<EntityState>(
  (s) => typeof s === 'object' && s !== null && kinds.has((s as { kind?: unknown }).kind),
  { message: `expected an entity state (kind one of ${ENTITY_KINDS.join(', ')})` },
);

const headFields = {
  k: z.string(),
  m: z.number().int(),
  fp: z.string(),
  ft: z.number(),
  pp: z.string().optional(),
  pt: z.number().optional(),
  op: z.string(),
};
const headSchema = z.looseObject({ ...headFields, st: entityState.optional() });
const versionSchema = z.looseObject({
  ...headFields,
  st: entityState,
  tp: z.string(),
  tt: z.number(),
  by: z.string(),
  dl: z.literal(true).optional(),
});

const what = (kind: string, item: Item) => `${kind} item ${String(item.pk)} ${String(item.sk)}`;

/** A head as stored, checked; a malformed one is a ValidationError naming its key. */
export function headFromItem(item: Item): StoredHead {
  const h = parseOrThrow(headSchema, item, what('head', item));
  return {
    mailboxId: h.m,
    key: h.k,
    state: h.st ?? null,
    fromPos: h.fp,
    fromTime: h.ft,
    prevFrom: h.pp ?? null,
    prevTo: h.pt ?? null,
    op: h.op,
  };
}

/** A closed version as stored, checked; a malformed one is a ValidationError naming its key. */
export function versionFromItem(item: Item): EntityVersion {
  const v = parseOrThrow(versionSchema, item, what('version', item));
  return {
    mailboxId: v.m,
    key: v.k,
    state: v.st,
    fromPos: v.fp,
    fromTime: v.ft,
    toPos: v.tp,
    toTime: v.tt,
    prevFrom: v.pp ?? null,
    prevTo: v.pt ?? null,
    op: v.op,
    endedBy: v.by,
    deleted: v.dl === true,
  };
}
