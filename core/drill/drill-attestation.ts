import { createHash, createPublicKey, verify } from 'node:crypto';
import { z } from 'zod';

// What a restore drill attests, and the signed envelope it is kept in under `drills/<date>/<id>.json`. The
// envelope holds the attestation's exact bytes (base64), and the signature is over a one-line statement of
// their SHA-256 (`signedStatement`): a verifier checks those bytes and only then parses them, so there is no
// canonical JSON to agree on and nothing unsigned is read as evidence; and the signed message stays far below
// KMS's 4 KiB limit for a raw message, however many accounts a drill restored.

export const ATTESTATION_FORMAT = 'offsite-drill-attestation/1';
export const SIGNED_ATTESTATION_FORMAT = 'offsite-signed-attestation/1';
/** KMS's name for ECDSA on P-256 with SHA-256, the signature DER-encoded (what KMS Sign returns). */
export const SIGNING_ALGORITHM = 'ECDSA_SHA_256';

const ITEM_KINDS = ['messages', 'contacts', 'appointments', 'tasks', 'documents', 'notes'] as const;
export type ItemKind = (typeof ITEM_KINDS)[number];
const count = z.number().int().nonnegative();
export const itemCountsSchema = z.strictObject(
  Object.fromEntries(ITEM_KINDS.map((k) => [k, count])) as Record<ItemKind, typeof count>,
);
export type ItemCounts = z.output<typeof itemCountsSchema>;
export const emptyCounts = (): ItemCounts =>
  Object.fromEntries(ITEM_KINDS.map((k) => [k, 0])) as unknown as ItemCounts;
export { ITEM_KINDS };

export const DRILL_MISMATCH_REASONS = [
  /** The index expected the item at the instant, and the restore did not bring it. */
  'missing',
  /** The restore brought an item the index did not expect. */
  'unexpected',
  /** The restore could not copy the item's body (missing, unreadable or damaged in the store). */
  'unrestored',
  /** The body in the bundle differs from the digest the index or the mail server recorded. */
  'digest-mismatch',
  /** The body written to the bundle could not be read back. */
  'read-error',
] as const;

export const drillMismatchSchema = z.strictObject({
  kind: z.enum(['message', 'contact', 'appointment', 'task', 'calendar', 'document', 'note', 'item']),
  id: z.number().int().min(1).optional(),
  reason: z.enum(DRILL_MISMATCH_REASONS),
  detail: z.string().max(2000),
});
export type DrillMismatch = z.output<typeof drillMismatchSchema>;

export const drillAccountEvidenceSchema = z.strictObject({
  serverId: z.string().max(64),
  mailboxId: z.number().int().min(1),
  account: z.string().max(320),
  /** The instant restored (ISO 8601). */
  at: z.iso.datetime(),
  /** What the index holds for the mailbox at that instant. */
  expected: itemCountsSchema,
  /** What the restore bundle holds. */
  restored: itemCountsSchema,
  /** Bodies read back from the bundle and checked against their recorded digests. */
  bodiesVerified: count,
  bytesVerified: count,
  mismatches: z.array(drillMismatchSchema).max(100_000),
});
export type DrillAccountEvidence = z.output<typeof drillAccountEvidenceSchema>;

export const drillAttestationSchema = z.strictObject({
  format: z.literal(ATTESTATION_FORMAT),
  drillId: z.uuid(),
  /** The bucket the drill restored from: the deployment it speaks for. */
  bucket: z.string().max(255),
  source: z.enum(['api', 'schedule']),
  requestedBy: z.string().max(2048).optional(),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime(),
  outcome: z.enum(['passed', 'failed']),
  /** Why it failed, in a line (items are named in the accounts' mismatches). */
  reason: z.string().max(2000).optional(),
  bundle: z.strictObject({ manifest: z.string().max(1024), sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
  accounts: z.array(drillAccountEvidenceSchema).max(100),
  totals: z.strictObject({
    accounts: count,
    items: count,
    bodiesVerified: count,
    bytesVerified: count,
    mismatches: count,
  }),
});
export type DrillAttestation = z.output<typeof drillAttestationSchema>;

export const signedAttestationSchema = z.strictObject({
  format: z.literal(SIGNED_ATTESTATION_FORMAT),
  /** The attestation's JSON, exactly as signed, base64. */
  payload: z.base64().max(50_000_000),
  signature: z.base64().max(1024),
  algorithm: z.literal(SIGNING_ALGORITHM),
  /** The key that signed it (a KMS key ARN, or `local:<fingerprint>` for the local cloud's key pair). */
  keyId: z.string().min(1).max(2048),
});
export type SignedAttestation = z.output<typeof signedAttestationSchema>;

/** What is signed for an attestation's bytes. */
export function signedStatement(payload: Uint8Array): Buffer {
  return Buffer.from(`${ATTESTATION_FORMAT} sha256=${createHash('sha256').update(payload).digest('hex')}\n`);
}

export type VerifyResult =
  | { readonly valid: true; readonly attestation: DrillAttestation }
  | { readonly valid: false; readonly problem: string };

/**
 * Checks an envelope against a public key (DER SubjectPublicKeyInfo or PEM): the signature over the payload's
 * bytes first, then the payload's form. Anything else in the envelope (its key id) is only a hint.
 */
export function verifyAttestation(envelope: unknown, publicKey: Uint8Array | string): VerifyResult {
  const parsed = signedAttestationSchema.safeParse(envelope);
  if (!parsed.success)
    return { valid: false, problem: `not a signed attestation: ${parsed.error.issues[0]?.message ?? ''}` };
  const key =
    typeof publicKey === 'string'
      ? createPublicKey(publicKey)
      : createPublicKey({ key: Buffer.from(publicKey), format: 'der', type: 'spki' });
  const payload = Buffer.from(parsed.data.payload, 'base64');
  let ok: boolean;
  try {
    ok = verify(
      'sha256',
      signedStatement(payload),
      { key, dsaEncoding: 'der' },
      Buffer.from(parsed.data.signature, 'base64'),
    );
  } catch {
    ok = false;
  }
  if (!ok)
    return {
      valid: false,
      problem: 'the signature does not match: the attestation was changed, or another key signed it',
    };
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    return { valid: false, problem: 'the signed payload is not JSON' };
  }
  const attestation = drillAttestationSchema.safeParse(json);
  if (!attestation.success)
    return {
      valid: false,
      problem: `the signed payload is not a drill attestation: ${attestation.error.issues[0]?.message ?? ''}`,
    };
  return { valid: true, attestation: attestation.data };
}

/** The attestation an envelope carries, unverified (for listings; `verifyAttestation` is the proof). */
export function readAttestation(envelope: unknown): DrillAttestation {
  const parsed = signedAttestationSchema.parse(envelope);
  return drillAttestationSchema.parse(JSON.parse(Buffer.from(parsed.payload, 'base64').toString('utf8')));
}
