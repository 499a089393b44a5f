import { createPublicKey } from 'node:crypto';
import type { DrillKeyView, DrillRow } from '#core/control-api.ts';
import { readAttestation, SIGNING_ALGORITHM, type SignedAttestation } from '#core/drill/drill-attestation.ts';
import { inParallel } from '#core/in-parallel.ts';
import { drillKeys, parseDrillKey } from '#core/storage/drill-keys.ts';
import { listObjects } from '#functions/clients/bucket-objects.ts';
import { attestationSigner } from '#functions/drill/attestation-signer.ts';
import { getJson } from '#functions/restore/operation-objects.ts';

/**
 * The drills whose attestations the bucket keeps, newest first, from `since` (YYYY-MM-DD) on, at most `limit`.
 * Read from `drills/`, not from the operations table: the evidence outlives the operations' retention.
 */
export async function listDrills(
  bucket: string,
  since: string | undefined,
  limit: number,
): Promise<DrillRow[]> {
  const byDate = [...(await listObjects(bucket, drillKeys.prefix)).keys()]
    .flatMap((key) => {
      const parsed = parseDrillKey(key);
      return parsed && (since === undefined || parsed.date >= since) ? [{ key, date: parsed.date }] : [];
    })
    .sort((a, b) => b.date.localeCompare(a.date));
  // Keys order a day's drills by id, not time: every drill of the last day taken is read, then sorted.
  const lastDate = byDate[limit - 1]?.date;
  const keys = lastDate === undefined ? byDate : byDate.filter((k) => k.date >= lastDate);
  const rows: DrillRow[] = [];
  await inParallel(keys, 8, async ({ key }) => {
    const envelope = await getJson<SignedAttestation>(bucket, key);
    const a = readAttestation(envelope);
    rows.push({
      drillId: a.drillId,
      key,
      startedAt: a.startedAt,
      finishedAt: a.finishedAt,
      outcome: a.outcome,
      ...(a.reason ? { reason: a.reason } : {}),
      accounts: a.totals.accounts,
      items: a.totals.items,
      bodiesVerified: a.totals.bodiesVerified,
      mismatches: a.totals.mismatches,
      keyId: envelope.keyId,
    });
  });
  return rows.sort((a, b) => b.startedAt.localeCompare(a.startedAt)).slice(0, limit);
}

/**
 * One drill's signed attestation as stored (the caller verifies it); undefined if the bucket has none. With
 * the date it started (a listing gives it), only that day's keys are listed instead of every drill's.
 */
export async function getDrill(
  bucket: string,
  drillId: string,
  date?: string,
): Promise<{ key: string; envelope: SignedAttestation } | undefined> {
  const prefix = date === undefined ? drillKeys.prefix : drillKeys.dateStart(date);
  const key = [...(await listObjects(bucket, prefix)).keys()].find(
    (k) => parseDrillKey(k)?.drillId === drillId,
  );
  if (!key) return undefined;
  return { key, envelope: await getJson<SignedAttestation>(bucket, key) };
}

/** The public key the deployment's drills are signed with, as PEM. */
export async function drillPublicKey(signingKey: string): Promise<DrillKeyView> {
  const signer = attestationSigner(signingKey);
  const der = Buffer.from(await signer.publicKey());
  const pem = createPublicKey({ key: der, format: 'der', type: 'spki' }).export({
    format: 'pem',
    type: 'spki',
  });
  return { keyId: signer.keyId, algorithm: SIGNING_ALGORITHM, publicKey: String(pem) };
}
