import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GetPublicKeyCommand, SignCommand } from '@aws-sdk/client-kms';
import { SIGNING_ALGORITHM } from '#core/drill/drill-attestation.ts';
import { kms } from '#functions/clients/kms.ts';
import { DrillSigningError } from '#functions/drill/errors.ts';

/** Signs drill attestations: a KMS asymmetric key in AWS, a key pair on disk in the local cloud. */
export interface AttestationSigner {
  readonly keyId: string;
  /** ECDSA P-256 over SHA-256 of a short message (at most 4 KiB, KMS's limit), DER-encoded. */
  sign(message: Uint8Array): Promise<Uint8Array>;
  /** The public key, DER SubjectPublicKeyInfo. */
  publicKey(): Promise<Uint8Array>;
}

const LOCAL_PREFIX = 'file:';

/**
 * The signer a deployment names: `file:<path>` is a PEM private key on disk (the local cloud's, which has
 * no KMS); anything else is a KMS key id or ARN (ECC_NIST_P256, SIGN_VERIFY).
 */
export function attestationSigner(spec: string): AttestationSigner {
  return spec.startsWith(LOCAL_PREFIX) ? localSigner(spec.slice(LOCAL_PREFIX.length)) : kmsSigner(spec);
}

function kmsSigner(keyId: string): AttestationSigner {
  return {
    keyId,
    async sign(message) {
      try {
        const signed = await kms().send(
          new SignCommand({
            KeyId: keyId,
            Message: message,
            MessageType: 'RAW',
            SigningAlgorithm: SIGNING_ALGORITHM,
          }),
        );
        if (!signed.Signature) throw new Error('KMS returned no signature');
        return signed.Signature;
      } catch (cause) {
        throw new DrillSigningError(
          `cannot sign the drill attestation with KMS key ${keyId}: ${(cause as Error).message}`,
          { cause },
        );
      }
    },
    async publicKey() {
      const got = await kms().send(new GetPublicKeyCommand({ KeyId: keyId }));
      if (!got.PublicKey) throw new DrillSigningError(`KMS key ${keyId} returned no public key`);
      return got.PublicKey;
    },
  };
}

function localSigner(file: string): AttestationSigner {
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new DrillSigningError(`cannot read the drill signing key ${file}: ${(cause as Error).message}`, {
      cause,
    });
  }
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return {
    keyId: localKeyId(spki),
    sign: async (message) => sign('sha256', message, { key, dsaEncoding: 'der' }),
    publicKey: async () => spki,
  };
}

/** A local key's id: its public key's SHA-256, so two local clouds' keys are told apart. */
export function localKeyId(spki: Uint8Array): string {
  return `local:${createHash('sha256').update(spki).digest('hex').slice(0, 32)}`;
}
