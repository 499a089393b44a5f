import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inviteHead } from '#core/calendar/invite-metadata.ts';
import type { OpData } from '#core/redo/redo-record.ts';
import { MailStateReplayer } from '#core/redo/replay-mail-state.ts';
import { zimbraDigest } from '#core/zimbra-digest.ts';
import { type InviteSpec, inviteMetadata, parsedDateTime } from '#local/mail-host/calendar-invites.ts';
import { applyOps, documentOp } from '#test/support/replayed-ops.ts';

// Calendar and Briefcase ops on their own, with the cases the simulator's workload does not make: invites
// that do not decode, replies to unknown items, purges that name the current revision.

const apply = applyOps;

function withMailbox(): MailStateReplayer {
  const replayer = new MailStateReplayer();
  apply(replayer, { op: 'CreateMailbox', accountId: 'acct-1' });
  return replayer;
}

const start = Date.UTC(2026, 11, 7, 15);
const spec: InviteSpec = {
  type: 'appointment',
  uid: 'u1@example.com',
  sequence: 0,
  start,
  end: start + 3_600_000,
  zoned: false,
  summary: 'Review',
  location: '',
  organizer: 'ann@example.com',
  attendees: [{ address: 'bob@example.net', name: 'Bob', partStat: 'NE' }],
  rrule: 'FREQ=DAILY;COUNT=5',
  method: 'REQUEST',
  status: 'CONF',
  isOrganizer: true,
  stamp: start,
};
const setItem = (calItemId: number, invites: string[]): OpData => ({
  op: 'SetCalendarItem',
  folderId: 10,
  calItemId,
  partStat: 'AC',
  attachmentIndexing: false,
  flags: 0,
  tags: ['blue'],
  defaultInvite: { timezone: '', invite: invites[0] as string, message: null },
  exceptions: invites.slice(1).map((invite) => ({ timezone: '', invite, message: null })),
  replies: null,
  nextAlarm: 0,
});
const createInvite = (calItemId: number, invite: string): OpData => ({
  op: 'CreateInvite',
  calItemId,
  partStat: 'NE',
  folderId: 10,
  data: { offset: 0, length: 0, bytes: Buffer.alloc(0) },
  timezone: '',
  invite,
  preserveExistingAlarms: false,
  discardExistingInvites: false,
  addRevision: true,
});

describe('calendar ops', () => {
  it('keeps an appointment whose invite does not decode, byte for byte, and says so', () => {
    const replayer = withMailbox();
    apply(replayer, setItem(300, ['d1:u3:abc']));
    assert.deepEqual(replayer.state.mailboxes['1']?.calendar['300'], {
      type: 'appointment',
      folderId: 10,
      flags: 0,
      tags: ['blue'],
      uid: 'item-300',
      invites: ['d1:u3:abc'],
    });
    assert.match(replayer.warnings.join('\n'), /an invite does not decode .*kept as written/);
  });

  it('adds an undecodable invite to an item after the others, and a cancelled instance replaces its exception', () => {
    const replayer = withMailbox();
    const series = inviteMetadata(spec);
    const { rrule: _r, ...single } = spec;
    const rid = parsedDateTime(start + 86_400_000, false);
    const moved = inviteMetadata({ ...single, recurrenceId: rid, summary: 'moved' });
    const cancelled = inviteMetadata({ ...single, recurrenceId: rid, method: 'CANCEL', status: 'CANC' });
    apply(
      replayer,
      setItem(300, [series, moved]),
      createInvite(300, 'garbage'),
      createInvite(300, cancelled),
    );
    const item = replayer.state.mailboxes['1']?.calendar['300'];
    assert.deepEqual(item?.invites, [series, 'garbage', cancelled]);
    assert.equal(inviteHead(cancelled).method, 'CANCEL');
  });

  it('a series cancel removes the item; a reply to an unknown item or instance changes nothing', () => {
    const replayer = withMailbox();
    const series = inviteMetadata(spec);
    apply(replayer, setItem(300, [series]));
    const reply = (calItemId: number, recurrenceId: string | null): OpData => ({
      op: 'ModifyInvitePartStat',
      calItemId,
      recurrence: recurrenceId === null ? null : { range: 0, recurrenceId },
      cn: 'Bob',
      address: 'bob@example.net',
      cuType: 'IND',
      role: 'REQ',
      partStat: 'AC',
      rsvp: false,
      sequence: 0,
      dtStamp: start,
    });
    apply(replayer, reply(999, null), reply(300, '20991231T000000Z'));
    assert.deepEqual(replayer.state.mailboxes['1']?.calendar['300']?.invites, [series]);
    assert.equal(replayer.warnings.length, 2);
    apply(replayer, createInvite(300, inviteMetadata({ ...spec, method: 'CANCEL', sequence: 1 })));
    assert.deepEqual(replayer.state.mailboxes['1']?.calendar, {});
  });

  it("a received reply finds its item by UID and sets that attendee's status, not the organizer's", () => {
    const replayer = withMailbox();
    apply(replayer, setItem(300, [inviteMetadata(spec)]));
    const reply = (uid: string): OpData => ({
      op: 'ICalReply',
      timezone: '',
      invite: inviteMetadata({
        ...spec,
        uid,
        method: 'REPLY',
        isOrganizer: false,
        attendees: [{ address: 'BOB@example.net', name: 'Bob', partStat: 'DE' }],
      }),
      sender: 'bob@example.net',
    });
    apply(replayer, reply('nobody@example.com'), reply(spec.uid));
    assert.match(replayer.warnings.join('\n'), /no calendar item has UID nobody@example.com/);
    assert.deepEqual(replayer.state.mailboxes['1']?.calendar['300']?.invites, [
      inviteMetadata({ ...spec, attendees: [{ address: 'bob@example.net', name: 'Bob', partStat: 'DE' }] }),
    ]);
  });
});

describe('Briefcase ops', () => {
  const save = documentOp;

  it('keeps every revision, never purges the current one, and refuses a body that is not what was recorded', () => {
    const replayer = withMailbox();
    apply(
      replayer,
      save(400, 'one', 'SaveDocument'),
      save(400, 'two', 'AddDocumentRevision'),
      save(400, 'three', 'AddDocumentRevision'),
      { op: 'PurgeRevision', itemId: 400, revision: 3, includeOlder: false },
    );
    const versions = () => replayer.state.mailboxes['1']?.documents['400']?.revisions.map((r) => r.version);
    assert.deepEqual(versions(), [1, 2, 3], 'the current revision stays');
    apply(replayer, { op: 'PurgeRevision', itemId: 400, revision: 2, includeOlder: true });
    assert.deepEqual(versions(), [3]);
    assert.equal(replayer.state.mailboxes['1']?.documents['400']?.name, 'three.txt');
    const bad = save(401, 'four', 'SaveDocument') as Extract<OpData, { op: 'SaveDocument' }>;
    assert.throws(() => apply(replayer, { ...bad, digest: zimbraDigest(Buffer.from('other')) }), /digest/);
  });
});
