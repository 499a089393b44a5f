import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentStateError } from '#agent/errors.ts';
import { announcementOf } from '#agent/ship/announcement-of.ts';
import type { SpoolEntry } from '#agent/ship/spool.ts';

const entry: SpoolEntry = {
  id: '00000000000000000001-00000000000000000000',
  kind: 'scan',
  sequence: '1',
  first: 600,
  last: 600,
  key: 'servers/srv/scans/x',
  sha256: 'a'.repeat(64),
  size: 10,
  storedSize: 8,
  codec: 'zstd',
  scan: {
    scanId: 's1',
    scanKind: 'full',
    mailboxId: 7,
    accountId: 'acct',
    items: 3,
    takenAt: '2026-12-06T00:00:00Z',
  },
  spooledAt: '2026-12-06T00:00:00Z',
};

describe('announcement of a spool entry', () => {
  it('announces a scan snapshot with its scan, mailbox and position', () => {
    const message = announcementOf('srv', entry, new Date('2026-12-06T01:00:00Z'));
    assert.equal(message.type, 'scan-snapshot');
    assert.deepEqual(
      { ...message },
      {
        type: 'scan-snapshot',
        serverId: 'srv',
        key: entry.key,
        sha256: entry.sha256,
        storedSize: 8,
        shippedAt: '2026-12-06T01:00:00.000Z',
        size: 10,
        codec: 'zstd',
        seq: '1',
        offset: '600',
        ...entry.scan,
      },
    );
  });

  it('refuses a scan entry that lost its identity, saying what to do', () => {
    const { scan: _, ...lost } = entry;
    assert.throws(
      () => announcementOf('srv', lost),
      (error: unknown) => {
        assert.ok(error instanceof AgentStateError);
        assert.match(error.message, /without its scan's identity: remove it from the spool/);
        return true;
      },
    );
  });
});
