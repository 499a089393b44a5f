import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  ATTESTATION_FORMAT,
  type DrillAttestation,
  emptyCounts,
  readAttestation,
  SIGNED_ATTESTATION_FORMAT,
  SIGNING_ALGORITHM,
  type SignedAttestation,
  signedStatement,
  verifyAttestation,
} from '#core/drill/drill-attestation.ts';

const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const publicPem = keys.publicKey.export({ format: 'pem', type: 'spki' }).toString();
const publicDer = keys.publicKey.export({ format: 'der', type: 'spki' });

const attestation: DrillAttestation = {
  format: ATTESTATION_FORMAT,
  drillId: '7d0e6c1a-3b1f-4c55-9a55-0f8d2c6e4b21',
  bucket: 'backups',
  source: 'schedule',
  startedAt: '2026-12-06T06:00:00.000Z',
  finishedAt: '2026-12-06T06:01:00.000Z',
  outcome: 'passed',
  bundle: { manifest: 'operations/x/bundle/manifest.json', sha256: 'a'.repeat(64) },
  accounts: [
    {
      serverId: 'mail1',
      mailboxId: 7,
      account: 'alice@example.com',
      at: '2026-12-03T10:15:00.000Z',
      expected: { ...emptyCounts(), messages: 3, appointments: 1 },
      restored: { ...emptyCounts(), messages: 3, appointments: 1 },
      bodiesVerified: 3,
      bytesVerified: 4096,
      mismatches: [],
    },
  ],
  totals: { accounts: 1, items: 4, bodiesVerified: 3, bytesVerified: 4096, mismatches: 0 },
};

function envelope(payload: Buffer, key = keys.privateKey): SignedAttestation {
  return {
    format: SIGNED_ATTESTATION_FORMAT,
    payload: payload.toString('base64'),
    signature: sign('sha256', signedStatement(payload), { key, dsaEncoding: 'der' }).toString('base64'),
    algorithm: SIGNING_ALGORITHM,
    keyId: 'local:test',
  };
}
const payload = Buffer.from(JSON.stringify(attestation, null, 2));

describe('drill attestations', () => {
  it('verify with the public key, as PEM or DER, and give back the attestation', () => {
    for (const key of [publicPem, publicDer]) {
      const result = verifyAttestation(envelope(payload), key);
      assert.ok(result.valid);
      assert.deepEqual(result.attestation, attestation);
    }
    assert.deepEqual(readAttestation(envelope(payload)), attestation);
  });

  it('fail when one byte of the evidence changed, even with the same length', () => {
    const signed = envelope(payload);
    const tampered = Buffer.from(payload.toString().replace('"outcome": "passed"', '"outcome": "failed"'));
    assert.equal(tampered.length, payload.length);
    const result = verifyAttestation({ ...signed, payload: tampered.toString('base64') }, publicPem);
    assert.equal(result.valid, false);
    assert.match(result.valid ? '' : result.problem, /signature does not match/);
  });

  it('fail when another key signed it, or the signature is damaged or missing', () => {
    assert.equal(verifyAttestation(envelope(payload, other.privateKey), publicPem).valid, false);
    const signed = envelope(payload);
    const sig = Buffer.from(signed.signature, 'base64');
    sig[sig.length - 1] = (sig[sig.length - 1] as number) ^ 1;
    assert.equal(verifyAttestation({ ...signed, signature: sig.toString('base64') }, publicPem).valid, false);
    const { signature: _s, ...unsigned } = signed;
    const result = verifyAttestation(unsigned, publicPem);
    assert.equal(result.valid, false);
    assert.match(result.valid ? '' : result.problem, /not a signed attestation/);
  });

  it('refuse a validly signed payload that is not an attestation', () => {
    const result = verifyAttestation(envelope(Buffer.from('{"format":"something else"}')), publicPem);
    assert.equal(result.valid, false);
    assert.match(result.valid ? '' : result.problem, /not a drill attestation/);
  });

  it('sign a short statement of the payload digest, far below the 4 KiB KMS takes raw', () => {
    const big = Buffer.alloc(5_000_000, 'x');
    assert.ok(signedStatement(big).length < 200);
    assert.notDeepEqual(signedStatement(big), signedStatement(Buffer.alloc(5_000_000, 'y')));
  });
});
