import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backupCurrency, bytesBetween } from '#core/operations/backup-currency.ts';

const at = (sequence: string, offset: number) => ({ sequence, offset });

describe('bytesBetween', () => {
  it('counts within one file, and nothing when the end is not after the start', () => {
    assert.equal(bytesBetween(at('7', 1000), at('7', 4096), new Map()), 3096);
    assert.equal(bytesBetween(at('7', 4096), at('7', 4096), new Map()), 0);
    assert.equal(bytesBetween(at('8', 600), at('7', 9000), new Map()), 0);
  });

  it('counts across files from where each ends, each file after the first from its header on', () => {
    const ends = new Map([
      ['7', 10_000],
      ['8', 2_512],
    ]);
    // 7: 10000 − 9000; 8: 2512 − 512; 9: 1512 − 512.
    assert.equal(bytesBetween(at('7', 9000), at('9', 1512), ends), 1000 + 2000 + 1000);
  });

  it('says unknown rather than guessing when a file in between has no known end', () => {
    assert.equal(bytesBetween(at('7', 9000), at('9', 1512), new Map([['7', 10_000]])), null);
    assert.equal(bytesBetween(at('7', 9000), at('8', 1512), new Map()), null);
  });

  it('keeps sequences exact beyond 2^53', () => {
    assert.equal(
      bytesBetween(
        at('9007199254740993', 600),
        at('9007199254740994', 612),
        new Map([['9007199254740993', 700]]),
      ),
      200,
    );
  });
});

describe('backupCurrency', () => {
  const ends = new Map([['7', 10_000]]);
  it('is current (0 bytes, 0 seconds) when the index stands where the agent announced', () => {
    assert.deepEqual(
      backupCurrency({
        shipped: { ...at('7', 5000), lastOpTime: '2026-12-06T10:00:05.000Z' },
        applied: { ...at('7', 5000), lastCommitTime: Date.parse('2026-12-06T10:00:04.000Z') },
        fileEnds: ends,
      }),
      { bytes: 0, seconds: 0 },
    );
  });

  it('gives the bytes and the seconds between the last record shipped and the last commit applied', () => {
    assert.deepEqual(
      backupCurrency({
        shipped: { ...at('7', 9000), lastOpTime: '2026-12-06T10:01:00.000Z' },
        applied: { ...at('7', 5000), lastCommitTime: Date.parse('2026-12-06T10:00:15.500Z') },
        fileEnds: ends,
      }),
      { bytes: 4000, seconds: 44.5 },
    );
  });

  it('is unknown where a side is', () => {
    assert.deepEqual(backupCurrency({ shipped: null, applied: at('7', 1), fileEnds: ends }), {
      bytes: null,
      seconds: null,
    });
    assert.deepEqual(backupCurrency({ shipped: at('7', 9000), applied: at('7', 5000), fileEnds: ends }), {
      bytes: 4000,
      seconds: null,
    });
  });
});
