import {
  accountDir,
  accountManifestSchema,
  BUNDLE_FORMAT,
  type BundleManifest,
} from '#core/restore/bundle-manifest.ts';
import type { RestoreReport } from '#core/restore/restore-report.ts';
import { parseOrThrow } from '#core/validation.ts';
import { getJson, operationObject, putJson } from '#functions/restore/operation-objects.ts';
import type { AccountPlan, RestoreSummary, WorkResult } from '#functions/restore/restore-plan.ts';

/**
 * Writes the bundle's manifests and the report once every work item has a result: each account's planned
 * manifest loses the messages that could not be copied (they are listed as unrestored, with the reason),
 * is checked against the schema every reader applies, and is named with its SHA-256 by the bundle
 * manifest. Idempotent: a retried finalization writes the same objects.
 */
export async function finalizeRestore(
  bucket: string,
  operationId: string,
): Promise<{ manifestKey: string; sha256: string; report: RestoreReport }> {
  const summary = await getJson<RestoreSummary>(bucket, operationObject.summary(operationId));
  const results: WorkResult[] = [];
  for (let i = 0; i < summary.workItems; i++)
    results.push(await getJson<WorkResult>(bucket, operationObject.result(operationId, i)));
  const accounts: BundleManifest['accounts'] = [];
  const report: RestoreReport = {
    operationId,
    mode: summary.mode,
    point: summary.point,
    accounts: [],
    totals: { accounts: 0, restored: 0, bytes: 0, unrestored: 0 },
  };
  for (const account of summary.accounts) {
    const plan = await getJson<AccountPlan>(bucket, operationObject.accountPlan(operationId, account.index));
    const own = results.filter((r) => r.account === account.index);
    const failed = own.flatMap((r) => r.unrestored);
    const failedIds = new Set(failed.filter((u) => u.kind === 'message').map((u) => u.id));
    const failedFiles = new Set(failed.flatMap((u) => (u.file ? [u.file] : [])));
    const manifest = parseOrThrow(
      accountManifestSchema,
      {
        ...plan,
        messages: plan.messages.filter((m) => !failedIds.has(m.id)),
        // A revision that could not be copied leaves its document; a document with none left goes too.
        documents: plan.documents
          .map((d) => ({ ...d, revisions: d.revisions.filter((r) => !failedFiles.has(r.file)) }))
          .filter((d) => d.revisions.length > 0),
        unrestored: [...plan.unrestored, ...failed].sort((a, b) => a.id - b.id),
      },
      `restore manifest of ${account.name}`,
    );
    const file = `${accountDir(account.index)}/manifest.json`;
    const sha256 = await putJson(bucket, operationObject.bundle(operationId, file), manifest);
    const restored = own.reduce((sum, r) => sum + r.restored, 0);
    const bytes = own.reduce((sum, r) => sum + r.bytes, 0);
    accounts.push({
      index: account.index,
      name: account.name,
      target: account.target,
      file,
      sha256,
      messages: manifest.messages.length,
      bytes,
      unrestored: manifest.unrestored.length,
    });
    report.accounts.push({
      name: account.name,
      target: account.target,
      restored,
      bytes,
      unrestored: manifest.unrestored,
      uncertain: manifest.uncertain,
    });
    report.totals.accounts++;
    report.totals.restored += restored;
    report.totals.bytes += bytes;
    report.totals.unrestored += manifest.unrestored.length;
  }
  const bundle: BundleManifest = {
    format: BUNDLE_FORMAT,
    operationId,
    mode: summary.mode,
    createdAt: summary.createdAt,
    point: summary.point,
    accounts,
    ...(summary.directory ? { directory: summary.directory } : {}),
  };
  const manifestKey = operationObject.bundle(operationId, 'manifest.json');
  const sha256 = await putJson(bucket, manifestKey, bundle);
  await putJson(bucket, operationObject.report(operationId), report);
  return { manifestKey, sha256, report };
}
