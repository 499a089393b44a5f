import { MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  ATTESTATION_FORMAT,
  type DrillAccountEvidence,
  type DrillAttestation,
  type DrillMismatch,
  emptyCounts,
  type ItemCounts,
  type ItemKind,
  SIGNED_ATTESTATION_FORMAT,
  SIGNING_ALGORITHM,
  type SignedAttestation,
  signedStatement,
} from '#core/drill/drill-attestation.ts';
import type { EntityState } from '#core/index/index-entity.ts';
import { itemIdOf } from '#core/index/index-entity.ts';
import type { Operation } from '#core/operation.ts';
import { type AccountManifest, accountDir, accountManifestSchema } from '#core/restore/bundle-manifest.ts';
import { drillKeys } from '#core/storage/drill-keys.ts';
import { operationObjectKeys } from '#core/storage/operation-keys.ts';
import { parseOrThrow } from '#core/validation.ts';
import { attestationSigner } from '#functions/drill/attestation-signer.ts';
import type { DrillPlan } from '#functions/drill/plan-drill.ts';
import type { VerifiedChunk } from '#functions/drill/verify-chunk.ts';
import { metrics } from '#functions/observability.ts';
import { scopeAsOf } from '#functions/query/mailbox-as-of.ts';
import { finalizeRestore } from '#functions/restore/finalize-restore.ts';
import { getJson, operationObject, putBytes } from '#functions/restore/operation-objects.ts';
import type { RestoreSummary } from '#functions/restore/restore-plan.ts';

export interface DrillTarget {
  readonly backupBucket: string;
  readonly indexTable: string;
  /** The signer's spec: a KMS key id or ARN, or `file:<path>` (see `attestationSigner`). */
  readonly drillSigningKey: string;
}

export interface DrillOutcome {
  readonly attestation: DrillAttestation;
  readonly key: string;
}

/** Mismatches named in the operation's error line; the attestation names them all. */
const NAMED_IN_ERROR = 5;

/**
 * Ends a drill once every work item copied and read back its bodies: writes the restore's bundle manifests
 * as a restore does, compares each account's bundle with what the index holds for that mailbox at its
 * instant (every item of every kind, by id), adds what the workers found reading the bodies back, and writes
 * the signed attestation under `drills/<date>/`. Idempotent: a retried finalization writes the same evidence
 * (with a new signature and finishing time).
 */
export async function finalizeDrill(target: DrillTarget, op: Operation): Promise<DrillOutcome> {
  const bucket = target.backupBucket;
  const restore = await finalizeRestore(bucket, op.id);
  const plan = await getJson<DrillPlan>(bucket, operationObjectKeys.drill.plan(op.id));
  const summary = await getJson<RestoreSummary>(bucket, operationObjectKeys.restore.summary(op.id));
  const verified: VerifiedChunk[] = [];
  for (let i = 0; i < summary.workItems; i++)
    verified.push(await getJson<VerifiedChunk>(bucket, operationObjectKeys.drill.verified(op.id, i)));
  const accounts: DrillAccountEvidence[] = [];
  for (const picked of plan.accounts) {
    const manifest = parseOrThrow(
      accountManifestSchema,
      await getJson<unknown>(
        bucket,
        operationObject.bundle(op.id, `${accountDir(picked.index)}/manifest.json`),
      ),
      `drill ${op.id}: bundle manifest of ${picked.account}`,
    );
    const { entities } = await scopeAsOf(
      target.indexTable,
      picked.serverId,
      picked.mailboxId,
      Date.parse(picked.at),
    );
    const own = verified.filter((v) => v.account === picked.index);
    const expected = itemsOf(entities.entries());
    const restored = itemsOfManifest(manifest);
    accounts.push({
      serverId: picked.serverId,
      mailboxId: picked.mailboxId,
      account: picked.account,
      at: picked.at,
      expected: countsOf(expected),
      restored: countsOf(restored),
      bodiesVerified: own.reduce((n, v) => n + v.bodies, 0),
      bytesVerified: own.reduce((n, v) => n + v.bytes, 0),
      mismatches: [...compare(expected, restored, manifest), ...own.flatMap((v) => v.mismatches)].sort(
        (a, b) => (a.id ?? 0) - (b.id ?? 0) || a.reason.localeCompare(b.reason),
      ),
    });
  }
  const mismatches = accounts.reduce((n, a) => n + a.mismatches.length, 0);
  const failedItems = op.failed;
  const outcome = mismatches === 0 && failedItems === 0 ? 'passed' : 'failed';
  const attestation: DrillAttestation = {
    format: ATTESTATION_FORMAT,
    drillId: op.id,
    bucket,
    source: op.source,
    ...(op.requestedBy ? { requestedBy: op.requestedBy } : {}),
    startedAt: op.createdAt,
    finishedAt: new Date().toISOString(),
    outcome,
    ...(outcome === 'failed' ? { reason: reasonOf(accounts, mismatches, failedItems) } : {}),
    bundle: { manifest: restore.manifestKey, sha256: restore.sha256 },
    accounts,
    totals: {
      accounts: accounts.length,
      items: accounts.reduce((n, a) => n + Object.values(a.restored).reduce((m, c) => m + c, 0), 0),
      bodiesVerified: accounts.reduce((n, a) => n + a.bodiesVerified, 0),
      bytesVerified: accounts.reduce((n, a) => n + a.bytesVerified, 0),
      mismatches,
    },
  };
  const key = drillKeys.attestation(op.createdAt, op.id);
  await putBytes(bucket, key, JSON.stringify(await signed(target, attestation)), 'application/json');
  metrics.addMetric(outcome === 'passed' ? 'DrillsPassed' : 'DrillsFailed', MetricUnit.Count, 1);
  return { attestation, key };
}

async function signed(target: DrillTarget, attestation: DrillAttestation): Promise<SignedAttestation> {
  const signer = attestationSigner(target.drillSigningKey);
  const payload = Buffer.from(`${JSON.stringify(attestation, null, 2)}\n`);
  const signature = await signer.sign(signedStatement(payload));
  return {
    format: SIGNED_ATTESTATION_FORMAT,
    payload: payload.toString('base64'),
    signature: Buffer.from(signature).toString('base64'),
    algorithm: SIGNING_ALGORITHM,
    keyId: signer.keyId,
  };
}

type Kind = DrillMismatch['kind'];
/** Item id → (kind, the body's SHA-256 for a message). */
type Items = Map<number, { kind: Kind; sha256?: string | null }>;

const COUNTED: Record<string, ItemKind> = {
  message: 'messages',
  contact: 'contacts',
  appointment: 'appointments',
  task: 'tasks',
  document: 'documents',
  note: 'notes',
};

/** The filed items the index holds for the mailbox at the instant. */
function itemsOf(entities: Iterable<[string, EntityState]>): Items {
  const items: Items = new Map();
  for (const [key, entity] of entities) {
    const id = itemIdOf(key);
    if (id === undefined) continue;
    if (entity.kind === 'message') items.set(id, { kind: 'message', sha256: entity.sha256 });
    else if (entity.kind === 'calendar') items.set(id, { kind: entity.type });
    else if (entity.kind === 'contact' || entity.kind === 'document' || entity.kind === 'note')
      items.set(id, { kind: entity.kind });
  }
  return items;
}

/** The items an account's bundle manifest holds. */
function itemsOfManifest(manifest: AccountManifest): Items {
  const items: Items = new Map();
  for (const m of manifest.messages) items.set(m.id, { kind: 'message', sha256: m.sha256 });
  for (const c of manifest.contacts) items.set(c.id, { kind: 'contact' });
  for (const c of manifest.calendar) items.set(c.id, { kind: c.type });
  for (const d of manifest.documents) items.set(d.id, { kind: 'document' });
  for (const n of manifest.notes ?? []) items.set(n.id, { kind: 'note' });
  return items;
}

function countsOf(items: Items): ItemCounts {
  const counts = emptyCounts();
  for (const { kind } of items.values()) {
    const counted = COUNTED[kind];
    if (counted) counts[counted]++;
  }
  return counts;
}

/** Every item the index expects and the bundle lacks (unrestored, with the copy's reason, or missing), and back. */
function compare(expected: Items, restored: Items, manifest: AccountManifest): DrillMismatch[] {
  const out: DrillMismatch[] = [];
  const unrestored = new Map(manifest.unrestored.map((u) => [u.id, u]));
  for (const [id, want] of expected) {
    const got = restored.get(id);
    const lost = unrestored.get(id);
    if (lost && (!got || lost.file === undefined))
      out.push({ kind: want.kind, id, reason: 'unrestored', detail: `${lost.reason}: ${lost.detail}` });
    else if (lost)
      out.push({
        kind: want.kind,
        id,
        reason: 'unrestored',
        detail: `${lost.file}: ${lost.reason}: ${lost.detail}`,
      });
    else if (!got)
      out.push({
        kind: want.kind,
        id,
        reason: 'missing',
        detail: 'the index holds it at the instant; the bundle does not',
      });
    else if (got.kind !== want.kind)
      out.push({ kind: want.kind, id, reason: 'missing', detail: `the bundle has it as a ${got.kind}` });
    else if (want.sha256 && got.sha256 !== want.sha256)
      out.push({
        kind: want.kind,
        id,
        reason: 'digest-mismatch',
        detail: 'the bundle names another body than the index holds for it',
      });
  }
  for (const [id, got] of restored)
    if (!expected.has(id))
      out.push({
        kind: got.kind,
        id,
        reason: 'unexpected',
        detail: 'the index does not hold it at the instant',
      });
  return out;
}

function reasonOf(
  accounts: readonly DrillAccountEvidence[],
  mismatches: number,
  failedItems: number,
): string {
  const named = accounts
    .flatMap((a) =>
      a.mismatches.map((m) => `${m.kind} ${m.id ?? ''} of ${a.account} (${m.reason})`.replace('  ', ' ')),
    )
    .slice(0, NAMED_IN_ERROR);
  const more = mismatches > named.length ? `, and ${mismatches - named.length} more` : '';
  const parts = [
    ...(mismatches > 0
      ? [
          `${mismatches} item${mismatches === 1 ? '' : 's'} did not restore as the index holds them: ${named.join(', ')}${more}`,
        ]
      : []),
    ...(failedItems > 0 ? [`${failedItems} work item${failedItems === 1 ? '' : 's'} failed`] : []),
  ];
  return `restore drill failed: ${parts.join('; ')} (offsite drill show ID lists every item)`;
}
