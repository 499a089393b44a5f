import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { z } from 'zod';
import { ValidationError } from '#core/errors.ts';
import type { EntityState } from '#core/index/index-entity.ts';
import { itemSize, writeUnits } from '#core/index/item-size.ts';
import { applyDelta, stateDelta } from '#core/index/state-delta.ts';
import type { EntityHead, EntityVersion } from '#core/index/version-overlay.ts';
import { entityKeys } from '#core/index-keys.ts';
import { parseOrThrow } from '#core/validation.ts';

// How heads and closed versions are stored: short attribute names, since every byte is paid per write.
// k entity key, m mailbox id, st state (absent on a tombstone), fp/ft from position/time, tp/tt to
// position/time, pp/pt the previous version's fromPos and toTime (its key), op the op that made it, by the
// op that ended it, dl present when it ended in a deletion, rv the riders. sz: the state as deflated JSON,
// in place of st where that makes the item cost fewer write units (calendar items' invites, documents'
// revisions: items over 1 KB whose text shrinks to half).
//
// Riders: the versions just before an item's own (a head's, or a deletion's closed version), newest first,
// each told by how its state differs from the next newer one (d: older values, x: fields it lacked), as
// many as fit without costing the item another write unit. A rider's end is its successor's start and the op
// that ended it its successor's op; only the last one says where the chain goes on (pp, pt). The rest of the
// chain are version items of their own.

export type Item = Record<string, unknown>;

export interface StoredHead extends EntityHead {
  mailboxId: number;
  key: string;
}

/** An item with as many of `riders` as fit in its write units, and the riders that did not fit. */
export interface PackedItem {
  item: Item;
  spilled: EntityVersion[];
}

/** A head's item (without riders: see packedHeadItem). */
export function headItem(serverId: string, mailboxId: number, key: string, head: EntityHead): Item {
  const keys = entityKeys(serverId, mailboxId, key);
  return compactState({
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
  });
}

/** A head's item carrying its riders (`head.riders`, newest first) as far as they fit; the rest spilled. */
export function packedHeadItem(
  serverId: string,
  mailboxId: number,
  key: string,
  head: EntityHead,
): PackedItem {
  return packRiders(headItem(serverId, mailboxId, key, head), head.state, head.op, head.riders ?? []);
}

/** A closed version's item carrying `riders` (the versions before it, newest first) as far as they fit. */
export function packedVersionItem(
  serverId: string,
  v: EntityVersion,
  riders: readonly EntityVersion[],
): PackedItem {
  return packRiders(versionItem(serverId, v), v.state, v.op, riders);
}

function packRiders(
  item: Item,
  state: EntityState | null,
  op: string,
  riders: readonly EntityVersion[],
): PackedItem {
  if (riders.length === 0 || !state) return { item, spilled: [...riders] };
  // A few bytes short of the units' end: the size is estimated from DynamoDB's published rules.
  const budget = writeUnits(itemSize(item)) * 1024 - 16;
  const top = { state, fromPos: String(item.fp), fromTime: Number(item.ft), op };
  const stored: Item[] = [];
  let size = itemSize({ ...item, rv: [] });
  let newer: typeof top = top;
  for (const rider of riders) {
    // Riders are a chain from the item's own version back: each ended where the next newer began.
    const follows =
      rider.toPos === newer.fromPos && rider.toTime === newer.fromTime && rider.endedBy === newer.op;
    const before = stored.length > 0 ? riders[stored.length - 1] : undefined;
    const linked = !before || (before.prevFrom === rider.fromPos && before.prevTo === rider.toTime);
    if (rider.deleted || !follows || !linked) break;
    const form = riderForm(rider, newer.state);
    // A list element: one byte and the map (`r` is one byte too). The chain's continuation is stored on
    // the last rider only: room is kept for it whichever that is.
    const cost = itemSize({ r: form });
    const tail = itemSize({ pp: rider.prevFrom ?? '', pt: rider.prevTo ?? 0 }) + 2;
    if (size + cost + tail > budget) break;
    stored.push(form);
    size += cost;
    newer = rider;
  }
  if (stored.length === 0) return { item, spilled: [...riders] };
  const last = riders[stored.length - 1] as EntityVersion;
  Object.assign(stored[stored.length - 1] as Item, {
    ...(last.prevFrom !== null ? { pp: last.prevFrom } : {}),
    ...(last.prevTo !== null ? { pt: last.prevTo } : {}),
  });
  return { item: { ...item, rv: stored }, spilled: riders.slice(stored.length) };
}

function riderForm(rider: EntityVersion, newer: EntityState): Item {
  const delta = stateDelta(rider.state, newer);
  return {
    fp: rider.fromPos,
    ft: rider.fromTime,
    op: rider.op,
    ...(delta.set ? { d: delta.set } : {}),
    ...(delta.unset ? { x: delta.unset } : {}),
  };
}

export function versionItem(serverId: string, v: EntityVersion): Item {
  const keys = entityKeys(serverId, v.mailboxId, v.key);
  return compactState({
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
  });
}

/** The item with its state deflated (`sz`) when that costs fewer write units than the state as it is. */
function compactState(item: Item): Item {
  const units = writeUnits(itemSize(item));
  if (units === 1 || item.st === undefined) return item;
  const { st, ...rest } = item;
  const compact = { ...rest, sz: deflateRawSync(JSON.stringify(st)) };
  return writeUnits(itemSize(compact)) < units ? compact : item;
}

/** A state deflated by compactState, checked to be one. */
function inflatedState(sz: Uint8Array, item: Item): EntityState {
  let state: unknown;
  try {
    state = JSON.parse(inflateRawSync(sz).toString('utf8'));
  } catch (error) {
    throw new ValidationError(`${what('entity', item)}: its deflated state does not read back`, [], {
      cause: error,
    });
  }
  return parseOrThrow(entityState, state, `${what('entity', item)} (deflated state)`);
}

/** The state a checked item stores, as it is or deflated (null: a tombstone's, which has none). */
function storedState(parsed: { st?: EntityState; sz?: Uint8Array }, item: Item): EntityState | null {
  return parsed.sz ? inflatedState(parsed.sz, item) : (parsed.st ?? null);
}

/** The state an item stores, as it is or deflated (null: a tombstone's, which has none). */
export function stateOfItem(item: Item): EntityState | null {
  return storedState(parseOrThrow(stateSchema, item, what('entity', item)), item);
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
const riderSchema = z.looseObject({
  fp: z.string(),
  ft: z.number(),
  op: z.string(),
  d: z.record(z.string(), z.unknown()).optional(),
  x: z.array(z.string()).optional(),
  pp: z.string().optional(),
  pt: z.number().optional(),
});
const riders = z.array(riderSchema).optional();
const stateFields = { st: entityState.optional(), sz: z.instanceof(Uint8Array).optional() };
const stateSchema = z.looseObject(stateFields);
const headSchema = z.looseObject({ ...headFields, ...stateFields, rv: riders });
const versionSchema = z.looseObject({
  ...headFields,
  ...stateFields,
  rv: riders,
  tp: z.string(),
  tt: z.number(),
  by: z.string(),
  dl: z.literal(true).optional(),
});

const what = (kind: string, item: Item) => `${kind} item ${String(item.pk)} ${String(item.sk)}`;

/** A head as stored, checked, with its riders; a malformed one is a ValidationError naming its key. */
export function headFromItem(item: Item): StoredHead {
  const h = parseOrThrow(headSchema, item, what('head', item));
  const head: StoredHead = {
    mailboxId: h.m,
    key: h.k,
    state: storedState(h, item),
    fromPos: h.fp,
    fromTime: h.ft,
    prevFrom: h.pp ?? null,
    prevTo: h.pt ?? null,
    op: h.op,
  };
  const rv = ridersOf(h.m, h.k, head, h.rv);
  return rv.length > 0 ? { ...head, riders: rv } : head;
}

/** A head's item as every version it holds: the head, then its riders (newest first). */
export function recordsOfHead(item: Item): (StoredHead | EntityVersion)[] {
  const head = headFromItem(item);
  return [head, ...(head.riders ?? [])];
}

/** The versions a head or a closed version's item carries: its riders, newest first, as whole versions. */
function ridersOf(
  mailboxId: number,
  key: string,
  top: { state: EntityState | null; fromPos: string; fromTime: number; op: string },
  stored: z.infer<typeof riderSchema>[] | undefined,
): EntityVersion[] {
  const out: EntityVersion[] = [];
  if (!stored || !top.state) return out;
  let newer: { state: EntityState; fromPos: string; fromTime: number; op: string } = {
    ...top,
    state: top.state,
  };
  stored.forEach((r, i) => {
    const older = stored[i + 1];
    const version: EntityVersion = {
      mailboxId,
      key,
      state: applyDelta(newer.state, { ...(r.d ? { set: r.d } : {}), ...(r.x ? { unset: r.x } : {}) }),
      fromPos: r.fp,
      fromTime: r.ft,
      toPos: newer.fromPos,
      toTime: newer.fromTime,
      prevFrom: older ? older.fp : (r.pp ?? null),
      prevTo: older ? r.ft : (r.pt ?? null),
      op: r.op,
      endedBy: newer.op,
      deleted: false,
    };
    out.push(version);
    newer = version;
  });
  return out;
}

/**
 * Every closed version an item holds: a version item's own and its riders, or a head's riders (newest first).
 * A malformed item is a ValidationError naming its key.
 */
export function versionsOfItem(item: Item): EntityVersion[] {
  if (item.tp === undefined) return headFromItem(item).riders ?? [];
  const stored = parseOrThrow(versionSchema, item, what('version', item));
  const v = versionOf(stored, item);
  return [v, ...ridersOf(v.mailboxId, v.key, v, stored.rv)];
}

/** A closed version as stored (its riders aside: see versionsOfItem), checked. */
export function versionFromItem(item: Item): EntityVersion {
  return versionOf(parseOrThrow(versionSchema, item, what('version', item)), item);
}

function versionOf(v: z.infer<typeof versionSchema>, item: Item): EntityVersion {
  const state = storedState(v, item);
  if (!state) throw new ValidationError(`${what('version', item)} has no state`);
  return {
    mailboxId: v.m,
    key: v.k,
    state,
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
