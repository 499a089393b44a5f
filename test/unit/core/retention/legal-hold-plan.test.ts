import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  chunkKeys,
  LEGAL_HOLD_CHUNK_KEYS,
  legalHoldParamsSchema,
  objectsNeeded,
} from '#core/retention/legal-hold-plan.ts';
import { blobKey } from '#core/storage/body-keys.ts';

const sha = (c: string) => c.repeat(64);

describe('objectsNeeded', () => {
  it("takes the server's redo and dumps, the mailbox's own scans and every body its versions had", () => {
    const keys = objectsNeeded(
      new Set([7]),
      [
        { type: 'segment', s3Key: 'servers/s/redo/1/0-10.a', state: 'indexed' },
        { type: 'seal', s3Key: 'servers/s/redo/1/sealed-10.b' },
        { type: 'ldap-dump', s3Key: 'servers/s/ldap/20261205T000000Z.c' },
        { type: 'scan', s3Key: 'servers/s/scans/acct7/x', mailboxId: 7 },
        // Another mailbox's scan, a purged segment, an item without an object: not this hold's.
        { type: 'scan', s3Key: 'servers/s/scans/acct8/x', mailboxId: 8 },
        { type: 'segment', s3Key: 'servers/s/redo/0/0-10.d', state: 'purged' },
        { type: 'segment' },
      ],
      [
        { sk: 'H#item:257', k: 'item:257', st: { kind: 'message', sha256: sha('a') } },
        { sk: 'V#item:257#1', k: 'item:257', st: { kind: 'message', sha256: sha('b') }, tt: 5 },
        {
          sk: 'H#item:300',
          k: 'item:300',
          st: { kind: 'document', revisions: [{ sha256: sha('c') }, { sha256: sha('d') }] },
        },
        { sk: 'H#item:301', k: 'item:301', st: { kind: 'contact' } },
        { sk: 'H#item:303', k: 'item:303', st: { kind: 'contact', sha256: sha('e') } },
        { sk: 'V#item:302#1', k: 'item:302', st: null, tt: 9 },
      ],
    );
    assert.deepEqual(
      [...keys].sort(),
      [
        blobKey(sha('a')),
        blobKey(sha('b')),
        blobKey(sha('c')),
        blobKey(sha('d')),
        blobKey(sha('e')),
        'servers/s/ldap/20261205T000000Z.c',
        'servers/s/redo/1/0-10.a',
        'servers/s/redo/1/sealed-10.b',
        'servers/s/scans/acct7/x',
      ].sort(),
    );
  });
});

describe('chunkKeys', () => {
  it('splits in key order into work items of at most LEGAL_HOLD_CHUNK_KEYS', () => {
    const keys = Array.from(
      { length: LEGAL_HOLD_CHUNK_KEYS * 2 + 1 },
      (_, i) => `k${String(i).padStart(5, '0')}`,
    );
    const chunks = chunkKeys('acct', 'apply', [...keys].reverse());
    assert.deepEqual(
      chunks.map((c) => c.keys.length),
      [LEGAL_HOLD_CHUNK_KEYS, LEGAL_HOLD_CHUNK_KEYS, 1],
    );
    assert.deepEqual(
      chunks.flatMap((c) => c.keys),
      keys,
    );
    assert.ok(chunks.every((c) => c.accountId === 'acct' && c.action === 'apply'));
    assert.deepEqual(chunkKeys('acct', 'release', []), []);
  });
});

describe('legalHoldParamsSchema', () => {
  it('takes account ids, or none (every held account), and refuses anything else', () => {
    assert.deepEqual(legalHoldParamsSchema.parse({}), {});
    assert.deepEqual(legalHoldParamsSchema.parse({ accounts: ['a-1'] }), { accounts: ['a-1'] });
    assert.throws(() => legalHoldParamsSchema.parse({ accounts: ['../x'] }), /zimbraId/);
    assert.throws(() => legalHoldParamsSchema.parse({ accounts: [] }));
    assert.throws(() => legalHoldParamsSchema.parse({ servers: ['s'] }));
  });
});
