import { z } from 'zod';
import { bodiesOf, type StoredEntity } from '#core/retention/purge-plan.ts';
import { blobKey } from '#core/storage/body-keys.ts';

const zimbraId = z.string().regex(/^[A-Za-z0-9-]{1,127}$/, { message: 'expected a zimbraId' });

/**
 * Parameters of a legal-hold operation: bring the S3 legal-hold flags of these accounts' objects in line with
 * their holds (held: every object their history needs is flagged; released: what no other hold needs is
 * cleared). Default: every account on hold.
 */
export const legalHoldParamsSchema = z.strictObject({
  accounts: z.array(zimbraId).min(1).max(1000).optional(),
});
export type LegalHoldParams = z.output<typeof legalHoldParamsSchema>;

/** Keys one work item flags or clears: small enough for one function run at a few requests per key. */
export const LEGAL_HOLD_CHUNK_KEYS = 500;

/** One work item of a legal-hold operation. */
export interface LegalHoldChunk {
  readonly accountId: string;
  readonly action: 'apply' | 'release';
  readonly keys: readonly string[];
}

/** A server-partition catalog item (segment, seal, scan snapshot, LDAP dump), as much as a hold needs of it. */
export interface CatalogObject {
  readonly type?: string;
  readonly s3Key?: string;
  readonly state?: string;
  readonly mailboxId?: number;
}

/**
 * The objects an account's history on one server needs, to restore any instant of it: the server's redo
 * (segments and seals: every transaction of the account is in them), its LDAP dumps (the account's directory
 * entry), the scan snapshots of the account's mailbox, and every body any version of its items has had
 * (`bodyObject`: the object that holds it, its pack or its own).
 * What a purge already took (state `purged`) is left out.
 */
export function objectsNeeded(
  mailboxIds: ReadonlySet<number>,
  catalog: readonly CatalogObject[],
  entities: readonly StoredEntity[],
  bodyObject: (sha256: string) => string = blobKey,
): Set<string> {
  const keys = new Set<string>();
  for (const item of catalog) {
    if (!item.s3Key || item.state === 'purged') continue;
    const serverWide = item.type === 'segment' || item.type === 'seal' || item.type === 'ldap-dump';
    const mine = item.type === 'scan' && item.mailboxId !== undefined && mailboxIds.has(item.mailboxId);
    if (serverWide || mine) keys.add(item.s3Key);
  }
  for (const entity of entities) for (const sha256 of bodiesOf(entity)) keys.add(bodyObject(sha256));
  return keys;
}

/** Splits an account's keys into work items, in key order (a re-plan splits alike). */
export function chunkKeys(
  accountId: string,
  action: LegalHoldChunk['action'],
  keys: Iterable<string>,
): LegalHoldChunk[] {
  const sorted = [...keys].sort();
  const chunks: LegalHoldChunk[] = [];
  for (let start = 0; start < sorted.length; start += LEGAL_HOLD_CHUNK_KEYS)
    chunks.push({ accountId, action, keys: sorted.slice(start, start + LEGAL_HOLD_CHUNK_KEYS) });
  return chunks;
}
