import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { behindText, bytes, duration, statusFindings } from '#cli/status-view.ts';
import type { ServerStatus } from '#core/control-api.ts';

const NOW = Date.parse('2026-12-06T12:00:00Z');
function status(change: Partial<ServerStatus> = {}): ServerStatus {
  return {
    serverId: 'mail1',
    agent: {
      receivedAt: '2026-12-06T11:59:50Z',
      announced: {
        sequence: '3',
        offset: 900,
        at: '2026-12-06T11:59:49Z',
        lastOpTime: '2026-12-06T11:59:48Z',
      },
      live: null,
      lagSeconds: 0,
      lagBytes: 0,
      spool: { entries: 0, bytes: 0 },
      lastError: null,
      gaps: 0,
    },
    index: {
      state: 'ok',
      appliedTo: { sequence: '3', offset: 900 },
      appliedOpTime: null,
      waitingSegments: 0,
    },
    behind: { bytes: 0, seconds: 0 },
    ...change,
  };
}

describe('offsite status in words', () => {
  it('says current, a difference, or what is unknown', () => {
    assert.equal(behindText(status()), 'current');
    assert.equal(behindText(status({ behind: { bytes: 3_500_000, seconds: 125 } })), '3.3 MiB, 2 min');
    assert.equal(behindText(status({ behind: { bytes: 120, seconds: null } })), '120 B, ? s');
    assert.equal(
      behindText(status({ agent: null, behind: { bytes: null, seconds: null } })),
      'no agent report',
    );
    assert.equal(bytes(1536), '1.5 KiB');
    assert.equal(duration(7200), '2.0 h');
  });

  it('finds held indexing and lost redo always, silence and lag only past --max-lag', () => {
    assert.deepEqual(statusFindings(status(), NOW), []);
    assert.match(
      statusFindings(
        status({ index: { ...status().index, state: 'gap', reason: 'redo 4 missing' } }),
        NOW,
      )[0] ?? '',
      /indexing is held \(gap: redo 4 missing\)/,
    );
    const late = status({ behind: { bytes: 10, seconds: 400 } });
    assert.deepEqual(statusFindings(late, NOW), []);
    assert.match(statusFindings(late, NOW, 300)[0] ?? '', /index is 7 min behind/);
    assert.match(statusFindings(status(), NOW, 5)[0] ?? '', /no word from the agent for 10 s/);
    assert.match(statusFindings(status({ agent: null }), NOW, 5)[0] ?? '', /no agent report/);
  });
});
