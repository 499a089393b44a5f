import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseServerObjectKey, serverKeys } from '#core/storage/server-keys.ts';

const sha = 'ab'.repeat(32);

describe('server object keys', () => {
  it('reads back every key the agent writes', () => {
    assert.deepEqual(parseServerObjectKey('srv-1', serverKeys.segment('srv-1', '12', 0, 4096, sha)), {
      kind: 'segment',
      seq: '12',
      firstOffset: '0',
      lastOffset: '4096',
      sha256: sha,
    });
    assert.deepEqual(parseServerObjectKey('srv-1', serverKeys.seal('srv-1', '12', 8192, sha)), {
      kind: 'seal',
      seq: '12',
      size: '8192',
      sha256: sha,
    });
    assert.deepEqual(
      parseServerObjectKey('srv-1', serverKeys.ldapDump('srv-1', '2026-12-05T14:03:25.123Z', sha)),
      { kind: 'ldap-dump', dumpedAt: '2026-12-05T14:03:25.123Z', sha256: sha },
    );
    assert.deepEqual(
      parseServerObjectKey('srv-1', serverKeys.scan('srv-1', 'a1b2-c3', '2026-12-05T14:03:25.000Z', sha)),
      { kind: 'scan', accountId: 'a1b2-c3', takenAt: '2026-12-05T14:03:25.000Z', sha256: sha },
    );
    assert.deepEqual(
      parseServerObjectKey('srv-1', serverKeys.bodyPack('srv-1', '2026-12-05T14:03:25.500Z', sha)),
      { kind: 'body-pack', packedAt: '2026-12-05T14:03:25.500Z', sha256: sha },
    );
  });

  it('names nothing it cannot read exactly: other servers, stray files, bad numbers and digests', () => {
    for (const key of [
      serverKeys.segment('srv-2', '12', 0, 4096, sha),
      'servers/srv-1/redo/12/notes.txt',
      `servers/srv-1/redo/012/0-10.${sha}`,
      `servers/srv-1/redo/12/10-10.${sha}`,
      `servers/srv-1/redo/12/0-10.${sha.toUpperCase()}`,
      `servers/srv-1/ldap/20261399T999999Z.${sha}`,
      `servers/srv-1/scans/a/b/20261205T140325Z.${sha}`,
      `servers/srv-1/redo/12/sealed-x.${sha}`,
      `servers/srv-1/packs/x/20261205T140325Z.${sha}`,
      `servers/srv-1/packs/20261205T140325Z.${sha.slice(1)}`,
    ])
      assert.equal(parseServerObjectKey('srv-1', key), undefined, key);
  });
});
