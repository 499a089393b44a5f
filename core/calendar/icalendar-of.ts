import { type InviteHead, inviteHead, inviteMap, type MetadataMap } from '#core/calendar/invite-metadata.ts';
import { fold, paramValue, text } from '#core/content-lines.ts';
import type { CalendarItemState } from '#core/mail-snapshot.ts';
import type { MetadataValue } from '#core/scan/zimbra-metadata.ts';

// One folder of appointments or tasks as an iCalendar object (RFC 5545), written from the invites' metadata:
// VEVENT for appointments, VTODO for tasks, the series first with its RRULE/RDATE/EXDATE, then each exception
// with its RECURRENCE-ID, alarms as VALARM, and a VTIMEZONE for every time zone an invite defines by rule
// (well-known zones are referred to by their TZID, as the server does).

export interface CalendarProblem {
  id: number;
  detail: string;
}

/** Zimbra's short names (IcalXmlStrMap) → iCalendar's. */
const STATUS: Record<string, string> = {
  CONF: 'CONFIRMED',
  TENT: 'TENTATIVE',
  CANC: 'CANCELLED',
  NEED: 'NEEDS-ACTION',
  COMP: 'COMPLETED',
  INPR: 'IN-PROCESS',
  WAITING: 'X-ZIMBRA-STATUS-WAITING',
  DEFERRED: 'X-ZIMBRA-STATUS-DEFERRED',
};
const PARTSTAT: Record<string, string> = {
  AC: 'ACCEPTED',
  TE: 'TENTATIVE',
  NE: 'NEEDS-ACTION',
  DG: 'DELEGATED',
  DE: 'DECLINED',
  CO: 'COMPLETED',
  IN: 'IN-PROCESS',
  WA: 'X-ZIMBRA-PARTSTAT-WAITING',
  DF: 'X-ZIMBRA-PARTSTAT-DEFERRED',
};
const ROLE: Record<string, string> = {
  REQ: 'REQ-PARTICIPANT',
  OPT: 'OPT-PARTICIPANT',
  CHA: 'CHAIR',
  NON: 'NON-PARTICIPANT',
};
const CUTYPE: Record<string, string> = {
  IND: 'INDIVIDUAL',
  GRO: 'GROUP',
  RES: 'RESOURCE',
  ROO: 'ROOM',
  UNK: 'UNKNOWN',
};
const CLASS: Record<string, string> = { PUB: 'PUBLIC', PRI: 'PRIVATE', CON: 'CONFIDENTIAL' };
const TRANSP: Record<string, string> = { O: 'OPAQUE', T: 'TRANSPARENT' };
const ACTION: Record<string, string> = { d: 'DISPLAY', a: 'AUDIO', e: 'EMAIL', p: 'PROCEDURE', n: 'X-NONE' };

/**
 * The iCalendar text of a folder's calendar items. An invite whose metadata does not decode is left out of
 * the text and reported (the bundle's manifest keeps it byte for byte).
 */
export function icalendarOf(
  name: string,
  items: { id: number; item: CalendarItemState }[],
): { text: string; components: number; problems: CalendarProblem[] } {
  const problems: CalendarProblem[] = [];
  const zones = new Map<string, string[]>();
  const body: string[] = [];
  let components = 0;
  for (const { id, item } of items) {
    for (const metadata of item.invites) {
      let map: MetadataMap;
      let head: InviteHead;
      try {
        map = inviteMap(metadata);
        head = inviteHead(metadata);
        const lines = component(map, head);
        for (const [tzid, zone] of timeZones(map)) if (!zones.has(tzid)) zones.set(tzid, zone);
        body.push(...lines);
        components++;
      } catch (error) {
        problems.push({ id, detail: `an invite does not decode: ${(error as Error).message}` });
      }
    }
  }
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//offsite//restore bundle//EN',
    property('X-WR-CALNAME', [], text(name)),
    ...[...zones.values()].flat(),
    ...body,
    'END:VCALENDAR',
  ];
  return { text: `${lines.map(fold).join('\r\n')}\r\n`, components, problems };
}

function component(map: MetadataMap, head: InviteHead): string[] {
  const kind = head.type === 'task' ? 'VTODO' : 'VEVENT';
  const out = [`BEGIN:${kind}`, property('UID', [], text(head.uid))];
  const str = (key: string): string | undefined => {
    const v = map[key];
    return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
  };
  const stamp = str('dts');
  out.push(property('DTSTAMP', [], utc(stamp === undefined ? 0 : Number(stamp))));
  if (head.recurrenceId !== null) {
    const rid = map.rid as MetadataMap;
    out.push(
      dateTime('RECURRENCE-ID', head.recurrenceId, Number(rid.r ?? 0) === 1 ? ['RANGE=THISANDFUTURE'] : []),
    );
  }
  if (str('seq') !== undefined) out.push(property('SEQUENCE', [], str('seq') as string));
  const summary = str('n');
  if (summary) out.push(property('SUMMARY', [], text(summary)));
  const location = str('l');
  if (location) out.push(property('LOCATION', [], text(location)));
  const description = str('desc');
  if (description) out.push(property('DESCRIPTION', [], text(description)));
  const start = str('st');
  if (start) out.push(dateTime('DTSTART', start));
  const end = str('et');
  if (end) out.push(dateTime(kind === 'VTODO' ? 'DUE' : 'DTEND', end));
  else if (str('duration')) out.push(property('DURATION', [], str('duration') as string));
  const status = str('status');
  if (status) out.push(property('STATUS', [], STATUS[status] ?? status));
  if (str('cl')) out.push(property('CLASS', [], CLASS[str('cl') as string] ?? (str('cl') as string)));
  if (kind === 'VEVENT' && str('tr'))
    out.push(property('TRANSP', [], TRANSP[str('tr') as string] ?? 'OPAQUE'));
  if (str('prio')) out.push(property('PRIORITY', [], str('prio') as string));
  if (kind === 'VTODO' && str('pctcompl'))
    out.push(property('PERCENT-COMPLETE', [], str('pctcompl') as string));
  if (kind === 'VTODO' && Number(str('completed') ?? 0) > 0)
    out.push(property('COMPLETED', [], utc(Number(str('completed')))));
  if (Number(str('lastMod') ?? 0) > 0) out.push(property('LAST-MODIFIED', [], utc(Number(str('lastMod')))));
  if (str('url')) out.push(property('URL', [], str('url') as string));
  const org = map.org;
  if (isMap(org) && typeof org.a === 'string') out.push(calendarUser('ORGANIZER', org, []));
  for (const at of numbered(map, 'at'))
    out.push(
      calendarUser('ATTENDEE', at, [
        ...param('CUTYPE', at.cut, CUTYPE),
        ...param('ROLE', at.r, ROLE),
        ...param('PARTSTAT', at.ptst, PARTSTAT),
        ...(at.v === '1' || at.v === 'true' ? ['RSVP=TRUE'] : []),
      ]),
    );
  const categories = numberedText(map, 'cat');
  if (categories.length > 0) out.push(property('CATEGORIES', [], categories.map(text).join(',')));
  for (const comment of numberedText(map, 'cmt')) out.push(property('COMMENT', [], text(comment)));
  for (const contact of numberedText(map, 'contact')) out.push(property('CONTACT', [], text(contact)));
  if (isMap(map.geo)) out.push(property('GEO', [], `${String(map.geo.lat)};${String(map.geo.lon)}`));
  if (isMap(map.recurrence)) out.push(...recurrence(map.recurrence));
  for (const x of numbered(map, 'x'))
    if (typeof x.n === 'string' && /^X-[A-Z0-9-]+$/i.test(x.n))
      out.push(property(x.n.toUpperCase(), [], text(String(x.v ?? ''))));
  for (const alarm of numbered(map, 'al')) out.push(...valarm(alarm, summary ?? ''));
  out.push(`END:${kind}`);
  return out;
}

/** RRULE/RDATE from the rules that add instances, EXRULE/EXDATE from those that remove them or cancel one. */
function recurrence(rule: MetadataMap): string[] {
  const out: string[] = [];
  const rules = (set: MetadataValue | undefined, add: boolean) => {
    if (!isMap(set)) return;
    for (const r of numbered(set, 'r')) {
      const type = Number(r.t);
      if (type === 2 && typeof r.recur === 'string')
        out.push(property(add ? 'RRULE' : 'EXRULE', [], r.recur));
      else if (type === 6 && isMap(r.rexd)) out.push(...singleDates(r.rexd));
    }
  };
  rules(rule.add, true);
  rules(rule.sub, false);
  for (const cancelled of numbered(rule, 'ca'))
    if (isMap(cancelled.recurId) && typeof cancelled.recurId.dt === 'string')
      out.push(dateTime('EXDATE', cancelled.recurId.dt));
  return out;
}

function singleDates(dates: MetadataMap): string[] {
  const name = dates.isrd === 'false' || dates.isrd === '0' ? 'EXDATE' : 'RDATE';
  const values = Object.entries(dates)
    .filter(([k, v]) => /^v\d+$/.test(k) && typeof v === 'string')
    .sort(([a], [b]) => Number(a.slice(1)) - Number(b.slice(1)))
    .map(([, v]) => v as string);
  if (values.length === 0) return [];
  const params = [
    ...(typeof dates.tzid === 'string' ? [`TZID=${paramValue(dates.tzid)}`] : []),
    ...(dates.vt === 'DATE' ? ['VALUE=DATE'] : []),
  ];
  return [property(name, params, values.join(','))];
}

function valarm(alarm: MetadataMap, fallback: string): string[] {
  const action = ACTION[String(alarm.ac ?? 'd')] ?? 'DISPLAY';
  const out = ['BEGIN:VALARM', property('ACTION', [], action)];
  if (alarm.tt === 'a' && typeof alarm.ta === 'string')
    out.push(property('TRIGGER', ['VALUE=DATE-TIME'], alarm.ta));
  else
    out.push(
      property(
        'TRIGGER',
        alarm.trd === 'e' ? ['RELATED=END'] : [],
        typeof alarm.tr === 'string' ? alarm.tr : '-PT15M',
      ),
    );
  if (typeof alarm.rd === 'string' && Number(alarm.rc ?? 0) > 0)
    out.push(property('DURATION', [], alarm.rd), property('REPEAT', [], String(alarm.rc)));
  const description = typeof alarm.ds === 'string' ? alarm.ds : fallback;
  if (action !== 'AUDIO') out.push(property('DESCRIPTION', [], text(description)));
  if (typeof alarm.su === 'string') out.push(property('SUMMARY', [], text(alarm.su)));
  for (const at of numbered(alarm, 'at')) out.push(calendarUser('ATTENDEE', at, []));
  out.push('END:VALARM');
  return out;
}

/** VTIMEZONE for each zone the invite defines by its rules (`tzm` entries `#0`, `#1`… with offsets). */
function timeZones(map: MetadataMap): [string, string[]][] {
  const tzm = map.tzm;
  if (!isMap(tzm)) return [];
  const out: [string, string[]][] = [];
  for (const [key, zone] of Object.entries(tzm)) {
    if (!key.startsWith('#') || !isMap(zone) || typeof zone.tzid !== 'string' || zone.so === undefined)
      continue;
    const standard = Number(zone.so);
    const daylight = Number(zone.do ?? zone.so);
    const lines = ['BEGIN:VTIMEZONE', property('TZID', [], zone.tzid)];
    const observance = (
      kind: string,
      start: MetadataValue | undefined,
      rule: MetadataValue | undefined,
      from: number,
      to: number,
      tzname: MetadataValue | undefined,
    ) => {
      lines.push(
        `BEGIN:${kind}`,
        property('DTSTART', [], typeof start === 'string' ? start : '16010101T000000'),
      );
      if (typeof rule === 'string' && rule !== '') lines.push(property('RRULE', [], rule));
      lines.push(property('TZOFFSETFROM', [], offset(from)), property('TZOFFSETTO', [], offset(to)));
      if (typeof tzname === 'string' && tzname !== '') lines.push(property('TZNAME', [], text(tzname)));
      lines.push(`END:${kind}`);
    };
    observance('STANDARD', zone.d2ss, zone.d2sr, daylight, standard, zone.sn);
    if (daylight !== standard || typeof zone.s2dr === 'string')
      observance('DAYLIGHT', zone.s2ds, zone.s2dr, standard, daylight, zone.dn);
    lines.push('END:VTIMEZONE');
    out.push([zone.tzid, lines]);
  }
  return out;
}

/** A ParsedDateTime as the server writes it: `TZID=<zone>:<local>`, `<utc>Z`, `<local>` or `VALUE=DATE:<date>`. */
function dateTime(name: string, value: string, extra: string[] = []): string {
  if (value.startsWith('VALUE=DATE:')) return property(name, ['VALUE=DATE', ...extra], value.slice(11));
  if (value.startsWith('TZID=')) {
    const colon = value.lastIndexOf(':');
    return property(name, [`TZID=${paramValue(value.slice(5, colon))}`, ...extra], value.slice(colon + 1));
  }
  return property(name, extra, value);
}

function calendarUser(name: string, user: MetadataMap, params: string[]): string {
  const address = String(user.a ?? '');
  return property(
    name,
    [
      ...(typeof user.cn === 'string' && user.cn !== '' ? [`CN=${paramValue(user.cn)}`] : []),
      ...(typeof user.sentby === 'string' && user.sentby !== ''
        ? [`SENT-BY=${paramValue(mailto(user.sentby))}`]
        : []),
      ...params,
    ],
    mailto(address),
  );
}

const mailto = (address: string): string =>
  /^[a-z][a-z0-9+.-]*:/i.test(address) ? address : `mailto:${address}`;

function param(name: string, value: MetadataValue | undefined, names: Record<string, string>): string[] {
  return typeof value === 'string' && value !== '' ? [`${name}=${names[value] ?? paramValue(value)}`] : [];
}

/** `prefix0`, `prefix1`… maps in order. */
function numbered(map: MetadataMap, prefix: string): MetadataMap[] {
  const pattern = new RegExp(`^${prefix}(\\d+)$`);
  return Object.entries(map)
    .map(([k, v]) => [pattern.exec(k)?.[1], v] as const)
    .filter((e): e is [string, MetadataMap] => e[0] !== undefined && isMap(e[1]))
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([, v]) => v);
}

function numberedText(map: MetadataMap, prefix: string): string[] {
  const pattern = new RegExp(`^${prefix}(\\d+)$`);
  return Object.entries(map)
    .map(([k, v]) => [pattern.exec(k)?.[1], v] as const)
    .filter((e): e is [string, string] => e[0] !== undefined && typeof e[1] === 'string')
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([, v]) => v);
}

function isMap(value: MetadataValue | undefined): value is MetadataMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function property(name: string, params: string[], value: string): string {
  return `${[name, ...params].join(';')}:${value}`;
}

function utc(ms: number): string {
  return `${new Date(ms).toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`;
}

function offset(ms: number): string {
  const minutes = Math.round(Math.abs(ms) / 60_000);
  const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
  const mm = String(minutes % 60).padStart(2, '0');
  return `${ms < 0 ? '-' : '+'}${hh}${mm}`;
}
