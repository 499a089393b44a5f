import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agentLag } from '#agent/ship/agent-lag.ts';
import type { SpoolEntry } from '#agent/ship/spool.ts';

const entry = (kind: SpoolEntry['kind'], size: number, spooledAt: string): SpoolEntry => ({
  id: `${kind}-${spooledAt}`,
  kind,
  sequence: kind === 'ldap' ? '' : '7',
  first: 0,
  last: size,
  key: 'k',
  sha256: '0'.repeat(64),
  size,
  storedSize: size,
  codec: 'zstd',
  spooledAt,
});
const now = Date.parse('2026-11-22T10:00:10Z');

describe('agent lag', () => {
  it('is zero when nothing waits and the cursor is at the live end', () => {
    const at = { sequence: '7', offset: 900 };
    assert.deepEqual(agentLag([], at, at, now), { seconds: 0, bytes: 0 });
  });

  it('counts from the oldest waiting redo entry, and its bytes plus what is seen but not cut', () => {
    const entries = [
      entry('segment', 100, '2026-11-22T10:00:04Z'),
      entry('seal', 512, '2026-11-22T10:00:07Z'),
      entry('segment', 50, '2026-11-22T10:00:01Z'),
      // LDAP dumps are not redo lag.
      entry('ldap', 9999, '2026-11-22T09:00:00Z'),
    ];
    const lag = agentLag(entries, { sequence: '8', offset: 600 }, { sequence: '8', offset: 1000 }, now);
    assert.deepEqual(lag, { seconds: 9, bytes: 150 + 400 });
  });

  it('ignores a live position of another file (the follower has not reached it yet)', () => {
    assert.equal(agentLag([], { sequence: '7', offset: 10 }, { sequence: '8', offset: 999 }, now).bytes, 0);
  });
});
