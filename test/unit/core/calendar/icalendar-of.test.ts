import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ICAL from 'ical.js';
import { icalendarOf } from '#core/calendar/icalendar-of.ts';
import type { CalendarItemState } from '#core/mail-snapshot.ts';
import {
  EASTERN,
  type InviteSpec,
  inviteMetadata,
  parsedDateTime,
} from '#local/mail-host/calendar-invites.ts';

// The iCalendar a bundle carries is read back with ical.js (Mozilla's parser, as Thunderbird uses), not with
// our own code: what a calendar client would see.

const start = Date.UTC(2026, 11, 7, 15, 0);
const series: InviteSpec = {
  type: 'appointment',
  uid: 'weekly@example.com',
  sequence: 2,
  start,
  end: start + 3_600_000,
  zoned: true,
  summary: 'Budget; review, Q4 — "final" ✓',
  location: 'Room 1',
  organizer: 'ann@example.com',
  attendees: [{ address: 'bob@example.net', name: 'Bob, Jr.', partStat: 'TE' }],
  rrule: 'FREQ=WEEKLY;INTERVAL=1;COUNT=10',
  method: 'REQUEST',
  status: 'CONF',
  alarmMinutes: 15,
  isOrganizer: true,
  stamp: start - 86_400_000,
  description: `Agenda:\n1. ${'numbers, '.repeat(12)}`,
};
const { rrule: _rrule, ...single } = series;
const moved = inviteMetadata({
  ...single,
  start: start + 7 * 86_400_000 + 3_600_000,
  end: start + 7 * 86_400_000 + 7_200_000,
  summary: 'Budget (moved)',
  recurrenceId: parsedDateTime(start + 7 * 86_400_000, true),
});
const appointment: CalendarItemState = {
  type: 'appointment',
  folderId: 10,
  flags: 0,
  tags: [],
  uid: series.uid,
  invites: [inviteMetadata(series), moved],
};
const task: CalendarItemState = {
  type: 'task',
  folderId: 10,
  flags: 0,
  tags: [],
  uid: 'todo@example.com',
  invites: [
    inviteMetadata({
      ...single,
      type: 'task',
      uid: 'todo@example.com',
      zoned: false,
      attendees: [],
      status: 'NEED',
      summary: 'File the report',
    }),
  ],
};

describe('iCalendar of a folder of calendar items', () => {
  const { text, components, problems } = icalendarOf('Work, shared', [
    { id: 300, item: appointment },
    { id: 301, item: task },
    { id: 302, item: { ...task, uid: 'broken', invites: ['d1:u3:abc'] } },
  ]);
  const calendar = new ICAL.Component(ICAL.parse(text));

  it('writes lines of at most 75 octets ending in CRLF', () => {
    assert.ok(text.endsWith('\r\n'));
    for (const line of text.split('\r\n')) assert.ok(Buffer.byteLength(line) <= 75, line);
    assert.equal(text.replace(/\r\n/g, '').includes('\n'), false, 'no bare line feeds');
  });

  it('names the calendar and defines the time zone the invites use by its rules', () => {
    // An X- property is TEXT (RFC 5545 §3.8.8.2), escaped like any other; ical.js leaves it raw.
    assert.equal(calendar.getFirstPropertyValue('x-wr-calname'), 'Work\\, shared');
    const zones = calendar.getAllSubcomponents('vtimezone');
    assert.equal(zones.length, 1);
    const zone = new ICAL.Timezone(zones[0] as ICAL.Component);
    assert.equal(zone.tzid, EASTERN.tzid);
    // 15:00 UTC on 7 December is 10:00 in New York (standard time), 16 July 11:00 UTC is 07:00 (daylight).
    const winter = ICAL.Time.fromData({ year: 2026, month: 12, day: 7, hour: 10 }, zone);
    assert.equal(winter.toUnixTime() * 1000, start);
    const summer = ICAL.Time.fromData({ year: 2026, month: 7, day: 16, hour: 7 }, zone);
    assert.equal(summer.toUnixTime() * 1000, Date.UTC(2026, 6, 16, 11));
  });

  it('writes the series with its rule, attendee, alarm and text as the server had them', () => {
    const [first, exception] = calendar.getAllSubcomponents('vevent');
    assert.ok(first && exception);
    const event = new ICAL.Event(first);
    assert.equal(event.uid, 'weekly@example.com');
    assert.equal(event.summary, series.summary);
    assert.equal(event.description, series.description);
    assert.equal(event.location, 'Room 1');
    assert.equal(event.sequence, 2);
    assert.equal(event.startDate.toUnixTime() * 1000, start);
    assert.equal(event.endDate.toUnixTime() * 1000, start + 3_600_000);
    const rule = first.getFirstPropertyValue('rrule') as ICAL.Recur;
    assert.deepEqual([rule.freq, rule.count, rule.interval], ['WEEKLY', 10, 1]);
    assert.equal(first.getFirstPropertyValue('status'), 'CONFIRMED');
    const attendee = first.getFirstProperty('attendee');
    assert.equal(attendee?.getFirstValue(), 'mailto:bob@example.net');
    assert.equal(attendee?.getParameter('cn'), 'Bob, Jr.');
    assert.equal(attendee?.getParameter('partstat'), 'TENTATIVE');
    assert.equal(attendee?.getParameter('role'), 'REQ-PARTICIPANT');
    assert.equal(first.getFirstProperty('organizer')?.getFirstValue(), 'mailto:ann@example.com');
    const alarm = first.getFirstSubcomponent('valarm');
    assert.equal(alarm?.getFirstPropertyValue('action'), 'DISPLAY');
    assert.equal(alarm?.getFirstPropertyValue('trigger')?.toString(), '-PT15M');
    // The recurrence expands in the zone: the third instance is 21 December at 10:00 New York time.
    const instances = event.iterator();
    instances.next();
    instances.next();
    assert.equal((instances.next()?.toUnixTime() ?? 0) * 1000, start + 14 * 86_400_000);
  });

  it('writes a moved instance as an exception with its recurrence id', () => {
    const exception = new ICAL.Event(calendar.getAllSubcomponents('vevent')[1]);
    assert.equal(exception.isRecurrenceException(), true);
    assert.equal(exception.recurrenceId.toUnixTime() * 1000, start + 7 * 86_400_000);
    assert.equal(exception.startDate.toUnixTime() * 1000, start + 7 * 86_400_000 + 3_600_000);
    assert.equal(exception.summary, 'Budget (moved)');
  });

  it('writes a task as a VTODO with its due time and status', () => {
    const todo = calendar.getFirstSubcomponent('vtodo');
    assert.equal(todo?.getFirstPropertyValue('uid'), 'todo@example.com');
    assert.equal(todo?.getFirstPropertyValue('status'), 'NEEDS-ACTION');
    assert.equal(todo?.getFirstPropertyValue('priority'), 5);
    const due = todo?.getFirstPropertyValue('due') as ICAL.Time;
    assert.equal(due.toUnixTime() * 1000, start + 3_600_000);
    assert.equal(due.zone?.tzid, 'UTC');
  });

  it('leaves out an invite that does not decode and reports it', () => {
    assert.equal(components, 3);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.id, 302);
    assert.match(problems[0]?.detail ?? '', /does not decode/);
  });
});
