import { ITEM_TYPE } from '#core/mail-item.ts';
import type { CalendarItemState } from '#core/mail-snapshot.ts';
import { encodeMetadata, type MetadataValue } from '#core/scan/zimbra-metadata.ts';

// Invites as a Zimbra server encodes them (Invite.encodeMetadata, with its short keys and value forms: longs
// as integers, booleans as "true"/"false", dates as ParsedDateTime strings, the time-zone map under `tzm`),
// for the simulator's appointments and tasks.

/** A zone defined by its rules, as the server writes one it does not know by name (Util.encodeAsMetadata). */
export const EASTERN = {
  tzid: '(GMT-05.00) Eastern Time (US & Canada)',
  so: -18_000_000,
  do: -14_400_000,
  d2ss: '16010101T020000',
  d2sr: 'FREQ=YEARLY;WKST=MO;INTERVAL=1;BYMONTH=11;BYDAY=1SU',
  s2ds: '16010101T020000',
  s2dr: 'FREQ=YEARLY;WKST=MO;INTERVAL=1;BYMONTH=3;BYDAY=2SU',
  sn: 'EST',
  dn: 'EDT',
} as const;

export interface InviteSpec {
  type: CalendarItemState['type'];
  uid: string;
  sequence: number;
  /** Start and end (due, for a task) in ms. */
  start: number;
  end: number;
  /** Local time in EASTERN (fixed offset, as written), or UTC. */
  zoned: boolean;
  summary: string;
  location: string;
  organizer: string;
  attendees: { address: string; name: string; partStat: string }[];
  /** An RRULE value for the series (ZRecur.toString). */
  rrule?: string;
  /** The instance an exception replaces: its start as a ParsedDateTime string. */
  recurrenceId?: string;
  method: 'REQUEST' | 'PUBLISH' | 'CANCEL' | 'REPLY';
  status: string;
  /** Minutes before the start a display alarm fires; none when undefined. */
  alarmMinutes?: number;
  isOrganizer: boolean;
  /** The owner's own answer; by default accepted when organizing, needs-action otherwise. */
  partStat?: string;
  stamp: number;
  description?: string;
}

/** A time as the server writes it in an invite: `TZID=<zone>:<local>` or `<utc>Z`. */
export function parsedDateTime(ms: number, zoned: boolean): string {
  if (!zoned) return `${compact(new Date(ms))}Z`;
  return `TZID=${EASTERN.tzid}:${compact(new Date(ms + EASTERN.so))}`;
}

function compact(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').slice(0, 15);
}

export function inviteMetadata(spec: InviteSpec): string {
  const start = parsedDateTime(spec.start, spec.zoned);
  const map: Record<string, MetadataValue> = {
    it: spec.type === 'task' ? ITEM_TYPE.task : ITEM_TYPE.appointment,
    u: spec.uid,
    mid: 0,
    comp: 0,
    byme: String(spec.isOrganizer),
    clSetByMe: 'false',
    status: spec.status,
    st: start,
    et: parsedDateTime(spec.end, spec.zoned),
    mthd: spec.method,
    frag: spec.summary.slice(0, 40),
    n: spec.summary,
    l: spec.location,
    af: 0,
    ptst: spec.partStat ?? (spec.isOrganizer ? 'AC' : 'NE'),
    tzm: spec.zoned ? { '#0': { ...EASTERN } } : {},
    dts: spec.stamp,
    seq: spec.sequence,
    lfseq: spec.sequence,
    org: { a: spec.organizer, cn: spec.organizer.split('@')[0] ?? '' },
    isOrg: String(spec.isOrganizer),
    numAt: String(spec.attendees.length),
    prio: spec.type === 'task' ? '5' : '0',
    pctcompl: '0',
  };
  if (spec.type === 'appointment') map.tr = 'O';
  spec.attendees.forEach((a, i) => {
    map[`at${i}`] = { a: a.address, cn: a.name, ptst: a.partStat, r: 'REQ', v: '1', cut: 'IND' };
  });
  if (spec.description !== undefined) {
    map.dinM = 'true';
    map.desc = spec.description;
  }
  if (spec.rrule !== undefined)
    map.recurrence = {
      t: '4',
      numEx: '0',
      dts: start,
      duration: `PT${Math.round((spec.end - spec.start) / 60_000)}M`,
      add: { nr: 1, r0: { t: 2, dts: start, dur: 'PT1H', recur: spec.rrule } },
    };
  if (spec.recurrenceId !== undefined) map.rid = { dt: spec.recurrenceId, r: 0 };
  if (spec.alarmMinutes !== undefined) {
    map.numAl = 1;
    map.al0 = {
      ac: 'd',
      tt: 'r',
      trd: 's',
      tr: `-PT${spec.alarmMinutes}M`,
      ds: 'Reminder',
      su: spec.summary,
    };
  }
  return encodeMetadata(map);
}

/** A calendar item's `metadata` column (CalendarItem.encodeMetadata): its UID and every invite as a map. */
export function calendarItemMetadata(
  item: CalendarItemState,
  decode: (inv: string) => MetadataValue,
): string {
  const map: Record<string, MetadataValue> = { u: item.uid, nc: item.invites.length };
  item.invites.forEach((inv, i) => {
    map[`inv${i}`] = decode(inv);
  });
  return encodeMetadata(map);
}
