import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { drillKeys, parseDrillKey } from '#core/storage/drill-keys.ts';

const drillId = '7d0e6c1a-3b1f-4c55-9a55-0f8d2c6e4b21';

describe('drill attestation keys', () => {
  it('are kept under drills/<date>/<id>.json, and only such keys are read as drills', () => {
    const key = drillKeys.attestation('2026-12-06T06:00:00.000Z', drillId);
    assert.equal(key, `drills/2026-12-06/${drillId}.json`);
    assert.deepEqual(parseDrillKey(key), { date: '2026-12-06', drillId });
    for (const bad of [
      'drills/2026-12-06/notes.json',
      `drills/x/${drillId}.json`,
      'drills/2026-12-06/a/b.json',
    ])
      assert.equal(parseDrillKey(bad), undefined, bad);
  });
});
