import { chooseDirectoryObjects } from '#core/ldap/choose-directory-objects.ts';
import { dnDepth } from '#core/ldap/directory-entry.ts';
import { formatLdif } from '#core/ldap/ldif.ts';
import { directoryEntryOf } from '#core/restore/directory-entries-of.ts';
import { toMs } from '#core/restore/restore-request.ts';
import { EXPORT_MAILBOX_FORMAT, exportFile } from '#core/transfer/export-format.ts';
import { exportMailboxOf } from '#core/transfer/export-mailbox-of.ts';
import {
  EXPORTS_PREFIX,
  type ExportParams,
  locationOf,
  locationProblem,
  locationUrl,
} from '#core/transfer/transfer-request.ts';
import { scopeAsOf } from '#functions/query/mailbox-as-of.ts';
import { cachedDirectoryReader } from '#functions/restore/directory-reader.ts';
import { RestorePlanError } from '#functions/restore/errors.ts';
import { putBytes, putJson } from '#functions/restore/operation-objects.ts';
import { restoreSources } from '#functions/restore/restore-sources.ts';
import { TransferPlanError } from '#functions/transfer/errors.ts';
import { headObject } from '#functions/transfer/stored-objects.ts';
import { type ExportPlan, type TransferWork, transferObject } from '#functions/transfer/transfer-plan.ts';

export interface TransferPlanTarget {
  readonly indexTable: string;
  readonly backupBucket: string;
  readonly transferBuckets: readonly string[];
}

/**
 * Plans an export: resolves the accounts as they were at the instant, writes each mailbox's live items and
 * each server's directory entries into the operation's prefix, and splits the distinct bodies they need
 * (each once, however many mailboxes share it) into work items of `chunkBlobs`. Returns the work items (at
 * least one, so that the export is always finalized).
 */
export async function planExport(
  target: TransferPlanTarget,
  operationId: string,
  params: ExportParams,
  createdAt: string,
  now = Date.now(),
): Promise<number> {
  const destination = locationOf(
    params.bucket ?? target.backupBucket,
    params.prefix ?? `${EXPORTS_PREFIX}${operationId}/`,
  );
  const problem = locationProblem(destination, target.backupBucket, target.transferBuckets);
  if (problem) throw new TransferPlanError(`cannot export to ${locationUrl(destination)}: ${problem}`);
  if (await headObject(destination.bucket, `${destination.prefix}${exportFile.manifest}`))
    throw new TransferPlanError(
      `${locationUrl(destination)} already holds an export (its manifest.json): choose another prefix`,
    );
  const time = params.at === undefined ? Date.parse(createdAt) : toMs(params.at);
  if (time > now)
    throw new TransferPlanError(`the export instant ${new Date(time).toISOString()} is in the future`);

  const directory = cachedDirectoryReader(target.indexTable);
  const sources = await restoreSources(
    target.indexTable,
    { mode: 'point-in-time', ...params, skipDeletes: false, chunkItems: 1 },
    { time },
    now,
    directory,
  ).catch((error: unknown) => {
    if (error instanceof RestorePlanError) throw new TransferPlanError(error.message, [], { cause: error });
    throw error;
  });
  const plan: ExportPlan = {
    kind: 'export',
    destination,
    createdAt,
    time: new Date(time).toISOString(),
    selection: { accounts: params.accounts, domains: params.domains, all: params.all },
    mailboxes: [],
    servers: [],
    unexportable: [],
    workItems: 0,
  };
  const blobs = new Set<string>();
  const accountsOf = new Map<string, Set<string>>();
  for (const [index, source] of sources.entries()) {
    const header = {
      type: 'header' as const,
      format: EXPORT_MAILBOX_FORMAT,
      serverId: source.serverId,
      mailboxId: source.mailboxId,
      accountId: source.mailbox.accountId,
      accountName: source.name,
      time: plan.time,
    };
    const { entities } = await scopeAsOf(target.indexTable, source.serverId, source.mailboxId, time);
    const { mailbox, unexportable } = exportMailboxOf(header, entities);
    await putJson(target.backupBucket, transferObject.mailbox(operationId, index), mailbox);
    for (const m of mailbox.messages) blobs.add(m.sha256);
    for (const c of mailbox.contacts) if (c.sha256) blobs.add(c.sha256);
    for (const d of mailbox.documents) for (const r of d.revisions) blobs.add(r.sha256);
    plan.unexportable.push(
      ...unexportable.map(({ id, kind, reason, detail }) => ({ mailbox: index, id, kind, reason, detail })),
    );
    plan.mailboxes.push({
      index,
      serverId: source.serverId,
      mailboxId: source.mailboxId,
      accountId: source.mailbox.accountId,
      accountName: source.name,
    });
    const ids = accountsOf.get(source.serverId) ?? new Set<string>();
    accountsOf.set(source.serverId, ids.add(source.mailbox.accountId));
  }
  for (const [serverId, accountIds] of [...accountsOf].sort(([a], [b]) => a.localeCompare(b))) {
    // Read once already, when the accounts were named (the reader caches it).
    const { objects } = await directory(serverId, time);
    const entries = [...chooseDirectoryObjects(objects, accountIds, params.domains, params.all)]
      .map(([id, object]) => directoryEntryOf(id, object))
      .sort((a, b) => dnDepth(a.dn) - dnDepth(b.dn) || a.dn.localeCompare(b.dn));
    if (entries.length > 0)
      await putBytes(
        target.backupBucket,
        transferObject.directory(operationId, serverId),
        formatLdif(entries),
        'text/plain',
      );
    plan.servers.push({ serverId, entries: entries.length });
  }
  const sorted = [...blobs].sort();
  const files: TransferWork[] = [];
  for (let start = 0; start < sorted.length || start === 0; start += params.chunkBlobs)
    files.push({ blobs: sorted.slice(start, start + params.chunkBlobs) });
  for (const [index, file] of files.entries())
    await putJson(target.backupBucket, transferObject.work(operationId, index), file);
  plan.workItems = files.length;
  await putJson(target.backupBucket, transferObject.plan(operationId), plan);
  return plan.workItems;
}
