import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  calendarItemOfMetadata,
  inviteHead,
  inviteMap,
  withInvite,
  withPartStat,
} from '#core/calendar/invite-metadata.ts';
import { decodeMetadata, encodeMetadata, MetadataError } from '#core/scan/zimbra-metadata.ts';
import {
  calendarItemMetadata,
  type InviteSpec,
  inviteMetadata,
  parsedDateTime,
} from '#local/mail-host/calendar-invites.ts';

const start = Date.UTC(2026, 11, 7, 15, 0);
const series: InviteSpec = {
  type: 'appointment',
  uid: 'weekly@example.com',
  sequence: 0,
  start,
  end: start + 3_600_000,
  zoned: true,
  summary: 'Weekly',
  location: '',
  organizer: 'ann@example.com',
  attendees: [{ address: 'bob@example.net', name: 'Bob', partStat: 'NE' }],
  rrule: 'FREQ=WEEKLY;INTERVAL=1',
  method: 'REQUEST',
  status: 'CONF',
  isOrganizer: false,
  stamp: start - 86_400_000,
};
const instance = (week: number, summary = 'moved'): string => {
  const { rrule: _r, ...rest } = series;
  return inviteMetadata({
    ...rest,
    summary,
    recurrenceId: parsedDateTime(start + week * 7 * 86_400_000, true),
  });
};

describe('invite metadata', () => {
  it('reads the type, UID, recurrence id and method the server wrote', () => {
    assert.deepEqual(inviteHead(inviteMetadata(series)), {
      type: 'appointment',
      uid: 'weekly@example.com',
      recurrenceId: null,
      method: 'REQUEST',
    });
    assert.deepEqual(
      inviteHead(instance(2)).recurrenceId,
      'TZID=(GMT-05.00) Eastern Time (US & Canada):20261221T100000',
    );
    assert.equal(inviteHead(inviteMetadata({ ...series, type: 'task' })).type, 'task');
  });

  it('refuses an invite without a UID, of another item type, or that is not metadata', () => {
    assert.throws(() => inviteHead(encodeMetadata({ it: 11 })), /no UID/);
    assert.throws(() => inviteHead(encodeMetadata({ it: 5, u: 'x' })), /neither appointment nor task/);
    assert.throws(() => inviteHead('d1:u3:abc'), MetadataError);
    assert.throws(() => inviteHead('l1:ae'), /not a map/);
  });

  it('files a new invite: the series replaces the series and keeps its exceptions, unless told to drop them', () => {
    const seriesV2 = inviteMetadata({ ...series, sequence: 1, summary: 'Weekly v2' });
    const invites = [inviteMetadata(series), instance(1), instance(2)];
    assert.deepEqual(withInvite(invites, seriesV2, false), [seriesV2, instance(1), instance(2)]);
    assert.deepEqual(withInvite(invites, seriesV2, true), [seriesV2]);
  });

  it('files an exception: it replaces the one for the same instance or comes after the others', () => {
    const invites = [inviteMetadata(series), instance(1), instance(2)];
    const again = instance(1, 'moved again');
    assert.deepEqual(withInvite(invites, again, false), [inviteMetadata(series), instance(2), again]);
    assert.deepEqual(withInvite(invites, instance(3), false), [...invites, instance(3)]);
  });

  it('keeps an invite that does not decode where it was', () => {
    const broken = 'd1:u3:abc';
    assert.deepEqual(withInvite([inviteMetadata(series), broken], instance(1), false), [
      inviteMetadata(series),
      broken,
      instance(1),
    ]);
  });

  it("records a reply on the attendee with that address, and as the owner's own answer", () => {
    const [updated] = withPartStat([inviteMetadata(series)], null, 'MAILTO:Bob@Example.net', 'AC') ?? [];
    const map = inviteMap(updated as string);
    assert.deepEqual(map.at0, { a: 'bob@example.net', cn: 'Bob', cut: 'IND', ptst: 'AC', r: 'REQ', v: '1' });
    assert.equal(map.ptst, 'AC');
    // The organizer's own answer is not an attendee's.
    const organized = inviteMetadata({ ...series, isOrganizer: true });
    assert.equal(
      inviteMap(withPartStat([organized], null, 'bob@example.net', 'DE')?.[0] as string).ptst,
      'AC',
    );
    assert.equal(
      withPartStat([inviteMetadata(series)], 'TZID=X:20260101T000000', 'bob@example.net', 'AC'),
      undefined,
    );
  });

  it("reads a calendar item's metadata column back into the invites the redo log carried", () => {
    const invites = [inviteMetadata(series), instance(1)];
    const column = calendarItemMetadata(
      { type: 'appointment', folderId: 10, flags: 0, tags: [], uid: series.uid, invites },
      decodeMetadata,
    );
    assert.deepEqual(calendarItemOfMetadata(column), { uid: series.uid, invites });
    assert.throws(
      () => calendarItemOfMetadata(encodeMetadata({ u: 'x', nc: 2, inv0: {} })),
      /inv1 is not one/,
    );
    assert.throws(() => calendarItemOfMetadata(encodeMetadata({ nc: 0 })), /no UID/);
    assert.throws(() => calendarItemOfMetadata(encodeMetadata({ u: 'x', nc: 0 })), /no invite/);
  });
});
