import assert from 'node:assert/strict';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { signedStatement, verifyAttestation } from '#core/drill/drill-attestation.ts';
import { attestationSigner } from '#functions/drill/attestation-signer.ts';
import { ensureLocalSigningKey } from '#local/drill-signing-key.ts';

describe('the local attestation signer', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'offsite-signer-'));

  it('makes one key pair per directory, readable by its owner only, and keeps it', () => {
    const file = ensureLocalSigningKey(dir);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const again = ensureLocalSigningKey(dir);
    assert.equal(again, file);
    assert.equal(attestationSigner(`file:${file}`).keyId, attestationSigner(`file:${again}`).keyId);
  });

  it('signs what its public key verifies, through the interface the KMS signer has', async () => {
    const signer = attestationSigner(`file:${ensureLocalSigningKey(dir)}`);
    assert.match(signer.keyId, /^local:[0-9a-f]{32}$/);
    const payload = Buffer.from('{"format":"x"}');
    const signature = Buffer.from(await signer.sign(signedStatement(payload)));
    const envelope = {
      format: 'offsite-signed-attestation/1',
      payload: payload.toString('base64'),
      signature: signature.toString('base64'),
      algorithm: 'ECDSA_SHA_256',
      keyId: signer.keyId,
    };
    // The signature holds (the payload is not an attestation: that is the next check).
    const result = verifyAttestation(envelope, await signer.publicKey());
    assert.equal(result.valid, false);
    assert.match(result.valid ? '' : result.problem, /not a drill attestation/);
    const other = attestationSigner(
      `file:${ensureLocalSigningKey(mkdtempSync(path.join(tmpdir(), 'offsite-signer-')))}`,
    );
    const wrong = verifyAttestation(envelope, await other.publicKey());
    assert.match(wrong.valid ? '' : wrong.problem, /signature does not match/);
  });

  it('says which file it could not read', () => {
    const bad = path.join(dir, 'not-a-key.pem');
    writeFileSync(bad, 'garbage');
    assert.throws(() => attestationSigner(`file:${bad}`), {
      name: 'DrillSigningError',
      message: /not-a-key\.pem/,
    });
    assert.throws(() => attestationSigner(`file:${path.join(dir, 'missing.pem')}`), {
      name: 'DrillSigningError',
    });
  });
});
