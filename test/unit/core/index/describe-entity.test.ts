import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeEntity } from '#core/index/describe-entity.ts';
import { inviteMetadata } from '#local/mail-host/calendar-invites.ts';

describe('an item state in one line', () => {
  it('names an appointment by its summary and start, and counts its exceptions', () => {
    const start = Date.UTC(2026, 11, 7, 15);
    const invite = inviteMetadata({
      type: 'appointment',
      uid: 'u1',
      sequence: 0,
      start,
      end: start + 3_600_000,
      zoned: false,
      summary: 'Budget review',
      location: '',
      organizer: 'ann@example.com',
      attendees: [],
      method: 'PUBLISH',
      status: 'CONF',
      isOrganizer: true,
      stamp: start,
    });
    assert.equal(
      describeEntity({
        kind: 'calendar',
        type: 'appointment',
        folderId: 10,
        flags: 0,
        tags: [],
        uid: 'u1',
        invites: [invite, 'broken'],
      }),
      'appointment in folder 10 (u1): Budget review, starts 20261207T150000Z, 1 exception',
    );
  });

  it('lists a document with each revision kept', () => {
    const revision = (version: number, author: string) => ({
      version,
      name: 'plan.txt',
      contentType: 'text/plain',
      author,
      date: Date.UTC(2026, 10, 20, version),
      size: 10 * version,
      digest: 'x',
      sha256: 'a'.repeat(64),
    });
    assert.equal(
      describeEntity({
        kind: 'document',
        type: 'document',
        folderId: 16,
        flags: 0,
        tags: [],
        name: 'plan.txt',
        description: '',
        revisions: [revision(1, 'ann'), revision(3, 'bob')],
      }),
      'document in folder 16: plan.txt, revisions 1 (ann, 2026-11-20T01:00:00.000Z, 10 bytes); 3 (bob, 2026-11-20T03:00:00.000Z, 30 bytes)',
    );
  });
});
