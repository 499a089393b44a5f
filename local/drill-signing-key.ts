import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The local cloud's stand-in for the drill signing key (no KMS in fauxqs): an ECDSA P-256 key pair, made once
 * per work directory and kept (PKCS#8 PEM, readable by its owner only), so attestations signed in one run
 * still verify in the next.
 */
export function ensureLocalSigningKey(workDir: string): string {
  const file = path.join(workDir, 'drill-signing-key.pem');
  if (existsSync(file)) return file;
  mkdirSync(workDir, { recursive: true });
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
  return file;
}
