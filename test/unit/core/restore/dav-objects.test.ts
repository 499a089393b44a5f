import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitCalendar, splitVcards } from '#core/restore/dav-objects.ts';

const calendar = (...lines: string[]) =>
  ['BEGIN:VCALENDAR', 'VERSION:2.0', ...lines, 'END:VCALENDAR', ''].join('\r\n');
const zone = (tzid: string) => ['BEGIN:VTIMEZONE', `TZID:${tzid}`, 'END:VTIMEZONE'];

describe('splitCalendar', () => {
  it('keeps a recurring event with its exceptions, and only the time zones it names', () => {
    const { objects, withoutUid } = splitCalendar(
      calendar(
        ...zone('Europe/Berlin'),
        ...zone('America/New_York'),
        'BEGIN:VEVENT',
        'UID:a',
        'DTSTART;TZID=Europe/Berlin:20261123T100000',
        'END:VEVENT',
        'BEGIN:VEVENT',
        'UID:b',
        'DTSTART:20261123T100000Z',
        'END:VEVENT',
        'BEGIN:VEVENT',
        'UID:a',
        'RECURRENCE-ID;TZID=Europe/Berlin:20261130T100000',
        'END:VEVENT',
        'BEGIN:VTODO',
        'SUMMARY:no uid',
        'END:VTODO',
      ),
    );
    assert.equal(withoutUid, 1);
    assert.deepEqual(
      objects.map((o) => o.uid),
      ['a', 'b'],
    );
    const a = objects[0]?.text ?? '';
    assert.equal(a.match(/BEGIN:VEVENT/g)?.length, 2);
    assert.match(a, /TZID:Europe\/Berlin/);
    assert.doesNotMatch(a, /New_York/);
    assert.doesNotMatch(objects[1]?.text ?? '', /VTIMEZONE/);
    assert.match(a, /^BEGIN:VCALENDAR\r\nVERSION:2\.0\r\n/);
    assert.match(a, /END:VCALENDAR\r\n$/);
    assert.match(objects[0]?.name ?? '', /^[0-9a-f]{40}\.ics$/);
  });
});

describe('splitCalendar, lines', () => {
  it('reads folded lines and nested alarms as part of their component', () => {
    const { objects } = splitCalendar(
      calendar(
        'BEGIN:VEVENT',
        'UI',
        ' D:fol',
        ' ded',
        'BEGIN:VALARM',
        'UID:not-the-event',
        'END:VALARM',
        'END:VEVENT',
      ),
    );
    assert.equal(objects.length, 1);
    assert.equal(objects[0]?.uid, 'folded');
    assert.match(objects[0]?.text ?? '', /BEGIN:VALARM\r\nUID:not-the-event\r\nEND:VALARM/);
  });
});

describe('splitVcards', () => {
  it('one object per card with a UID; the others counted', () => {
    const text = ['BEGIN:VCARD', 'UID:1', 'FN:A', 'END:VCARD', 'BEGIN:VCARD', 'FN:B', 'END:VCARD', ''].join(
      '\n',
    );
    const { objects, withoutUid } = splitVcards(text);
    assert.deepEqual(
      objects.map((o) => [o.uid, o.text]),
      [['1', 'BEGIN:VCARD\r\nUID:1\r\nFN:A\r\nEND:VCARD\r\n']],
    );
    assert.equal(withoutUid, 1);
    assert.match(objects[0]?.name ?? '', /\.vcf$/);
  });
});
