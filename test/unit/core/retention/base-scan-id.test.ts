import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redoPosition } from '#core/index/redo-position.ts';
import { baseScanId, cutOfBaseScanId } from '#core/retention/base-scan-id.ts';

describe('base snapshot scan ids', () => {
  it("name the server's cut, and give it back as a redo position", () => {
    const id = baseScanId({ seq: '12', offset: '40960', time: 0 });
    assert.equal(id, 'base-12-40960');
    assert.match(id, /^[A-Za-z0-9._-]{1,80}$/, 'a valid scan id');
    assert.equal(cutOfBaseScanId(id), redoPosition('12', '40960'));
    assert.equal(
      baseScanId({ seq: '9223372036854775807', offset: '9223372036854775807', time: 0 }).length <= 80,
      true,
    );
  });

  it("other scans' ids name no cut", () => {
    for (const id of ['full-20261205T1200000Z-abcdef', 'base-x-1', 'base-1', 'base-1-2-3'])
      assert.equal(cutOfBaseScanId(id), undefined, id);
  });
});
