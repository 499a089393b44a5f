import { ITEM_TYPE } from '#core/mail-item.ts';
import type { CalendarItemState } from '#core/mail-snapshot.ts';
import {
  decodeMetadata,
  encodeMetadata,
  MetadataError,
  type MetadataValue,
} from '#core/scan/zimbra-metadata.ts';

// An invite as the server keeps it: Zimbra metadata (Invite.encodeMetadata) whose keys are the server's
// short names: `it` item type, `u` UID, `rid` recurrence id ({dt, r}), `mthd` method, `ptst` the owner's
// participation, `at0`… attendees ({a, cn, ptst, r, cut, v}), `org` organizer, `st`/`et` start and end.

export type MetadataMap = { [key: string]: MetadataValue };

/** What the index needs of one invite to place it in its calendar item. */
export interface InviteHead {
  type: CalendarItemState['type'];
  uid: string;
  /** The recurrence id of an exception (its `dt`), null for the series or a single instance. */
  recurrenceId: string | null;
  method: string;
}

/** The invite's metadata as a map, or a MetadataError saying what is wrong with it. */
export function inviteMap(metadata: string): MetadataMap {
  const map = decodeMetadata(metadata);
  if (typeof map !== 'object' || Array.isArray(map)) throw new MetadataError('an invite is not a map');
  return map;
}

export function inviteHead(metadata: string): InviteHead {
  const map = inviteMap(metadata);
  const uid = map.u;
  if (typeof uid !== 'string' || uid === '') throw new MetadataError('the invite has no UID (u)');
  const itemType = Number(map.it ?? ITEM_TYPE.appointment);
  if (itemType !== ITEM_TYPE.appointment && itemType !== ITEM_TYPE.task)
    throw new MetadataError(`the invite's item type ${String(map.it)} is neither appointment nor task`);
  return {
    type: itemType === ITEM_TYPE.task ? 'task' : 'appointment',
    uid,
    recurrenceId: recurrenceIdOf(map),
    method: typeof map.mthd === 'string' ? map.mthd : 'PUBLISH',
  };
}

function recurrenceIdOf(map: MetadataMap): string | null {
  const rid = map.rid;
  if (rid === undefined) return null;
  if (typeof rid !== 'object' || Array.isArray(rid) || typeof rid.dt !== 'string')
    throw new MetadataError('the recurrence id (rid) has no date (dt)');
  return rid.dt;
}

/**
 * Adds an invite to a calendar item the way the server files a new invite: one for the series replaces the
 * series (and, when the server says so, drops the exceptions); one for an instance replaces that instance's
 * exception or is added after the others.
 */
export function withInvite(invites: string[], metadata: string, discardExceptions: boolean): string[] {
  const { recurrenceId } = inviteHead(metadata);
  const kept = invites.filter((inv) => {
    const other = recurrenceIdOrUndefined(inv);
    if (other === undefined) return true; // an invite that does not decode is kept as it was
    if (recurrenceId === null) return other !== null && !discardExceptions;
    return other !== recurrenceId;
  });
  return recurrenceId === null ? [metadata, ...kept] : [...kept, metadata];
}

function recurrenceIdOrUndefined(metadata: string): string | null | undefined {
  try {
    return inviteHead(metadata).recurrenceId;
  } catch {
    return undefined;
  }
}

/**
 * An attendee's reply recorded on the invite for `recurrenceId` (null: the series): the attendee with that
 * address gets the participation status. The owner's own answer (`own`, ModifyInvitePartStat) on an invite
 * the owner did not organize is also its own status (`ptst`), as the server records it; a reply received
 * from someone else (ICalReply) is not. Undefined when no invite matches.
 */
export function withPartStat(
  invites: string[],
  recurrenceId: string | null,
  address: string,
  partStat: string,
  own = true,
): string[] | undefined {
  const at = invites.findIndex((inv) => recurrenceIdOrUndefined(inv) === recurrenceId);
  if (at < 0) return undefined;
  const map = inviteMap(invites[at] as string);
  const wanted = address.toLowerCase().replace(/^mailto:/, '');
  for (const [key, value] of Object.entries(map)) {
    if (!/^at\d+$/.test(key) || typeof value !== 'object' || Array.isArray(value)) continue;
    const a = typeof value.a === 'string' ? value.a.toLowerCase().replace(/^mailto:/, '') : '';
    if (a === wanted) map[key] = { ...value, ptst: partStat };
  }
  if (own && !metadataBool(map.isOrg)) map.ptst = partStat;
  const out = [...invites];
  out[at] = encodeMetadata(map);
  return out;
}

/** A boolean as the server writes one in metadata (`Boolean.toString`: "true"/"false"; older: 1/0). */
export function metadataBool(value: MetadataValue | undefined): boolean {
  return value === 'true' || value === '1' || value === 1;
}

/**
 * A calendar item's `metadata` column (CalendarItem.encodeMetadata): its UID and its invites (`inv0`…, `nc`
 * of them), each re-encoded as the redo log carries an invite. A MetadataError says what does not decode.
 */
export function calendarItemOfMetadata(metadata: string): { uid: string; invites: string[] } {
  const map = inviteMap(metadata);
  const uid = map.u;
  if (typeof uid !== 'string' || uid === '') throw new MetadataError('the calendar item has no UID (u)');
  const count = Number(map.nc ?? 0);
  const invites: string[] = [];
  for (let i = 0; i < count; i++) {
    const invite = map[`inv${i}`];
    if (typeof invite !== 'object' || Array.isArray(invite))
      throw new MetadataError(`the calendar item lists ${count} invites but inv${i} is not one`);
    invites.push(encodeMetadata(invite));
  }
  if (invites.length === 0) throw new MetadataError('the calendar item has no invite');
  return { uid, invites };
}

/** What a listing shows of a calendar item: its series invite's summary, organizer and start (as written). */
export function inviteSummary(metadata: string | undefined): {
  summary?: string;
  organizer?: string;
  start?: string;
} {
  if (metadata === undefined) return {};
  let map: MetadataMap;
  try {
    map = inviteMap(metadata);
  } catch {
    return {};
  }
  const org = map.org;
  const organizer =
    typeof org === 'object' && !Array.isArray(org) && typeof org.a === 'string' ? org.a : undefined;
  return {
    ...(typeof map.n === 'string' ? { summary: map.n } : {}),
    ...(organizer !== undefined ? { organizer } : {}),
    ...(typeof map.st === 'string' ? { start: map.st } : {}),
  };
}

/** The attendees a reply names, with the status each gives (`at0`, `at1`… of the reply invite). */
export function replyAttendees(metadata: string): { address: string; partStat: string }[] {
  return Object.entries(inviteMap(metadata))
    .filter(([key]) => /^at\d+$/.test(key))
    .flatMap(([, value]) =>
      typeof value === 'object' &&
      !Array.isArray(value) &&
      typeof value.a === 'string' &&
      typeof value.ptst === 'string'
        ? [{ address: value.a, partStat: value.ptst }]
        : [],
    );
}
