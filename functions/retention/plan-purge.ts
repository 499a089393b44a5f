import { ValidationError } from '#core/errors.ts';
import type { SegmentEntry } from '#core/index/catalog-entries.ts';
import type { Operation } from '#core/operation.ts';
import {
  type PurgeEntry,
  type PurgePlan,
  purgeParamsSchema,
  type RedoCut,
} from '#core/retention/purge-request.ts';
import { retentionFor } from '#core/retention/retention-policy.ts';
import { operationObjectKeys } from '#core/storage/operation-keys.ts';
import { parseOrThrow } from '#core/validation.ts';
import type { OperationsTable } from '#functions/operations/operations-store.ts';
import { directoryAsOf } from '#functions/query/directory-as-of.ts';
import { mailboxHistory } from '#functions/query/mailbox-as-of.ts';
import { listServers } from '#functions/query/resolve-account.ts';
import { putJson } from '#functions/restore/operation-objects.ts';
import { listHolds, readPolicy } from '#functions/retention/policy-store.ts';
import { cleanCut, splitSegments } from '#functions/retention/purgeable-segments.ts';

export interface PurgePlanTarget extends OperationsTable {
  readonly indexTable: string;
  readonly backupBucket: string;
}

export const purgePlanKey = operationObjectKeys.purge.plan;

/**
 * Where each mailbox's base snapshot goes — the end of the first indexed segment whose last operation is at
 * or after its cutoff, so the state there is in the index whatever this and earlier purges pruned — and the
 * server's cut: the newest segment end before the earliest cutoff where no transaction is open, only when the
 * purge covers every mailbox of the server and keeps none whole. A reindex from the bucket starts at the
 * server's cut (a transaction begun before a cut and committed after it would be lost from an unclean one);
 * the redo from there to each base is kept, and replayed with whole transactions.
 */
async function cutRedo(
  table: string,
  serverId: string,
  entries: PurgeEntry[],
  accountsNamed: boolean,
): Promise<{ cut?: RedoCut }> {
  const cutOf = (s: SegmentEntry): RedoCut => ({
    seq: s.seq,
    offset: s.lastOffset,
    time: Date.parse(s.lastOpTime ?? ''),
  });
  const bases = new Map<number, RedoCut | undefined>();
  for (const entry of entries) {
    if (entry.cutoff === undefined) continue;
    if (!bases.has(entry.cutoff)) {
      const next = (await splitSegments(table, serverId, entry.cutoff)).kept[0];
      bases.set(entry.cutoff, next?.state === 'indexed' ? cutOf(next) : undefined);
    }
    const base = bases.get(entry.cutoff);
    if (base) entry.cut = base;
  }
  if (accountsNamed || entries.some((e) => e.cut === undefined)) return {};
  const earliest = Math.min(...(entries.map((e) => e.cutoff) as number[]));
  const clean = cleanCut(await splitSegments(table, serverId, earliest));
  return clean ? { cut: cutOf(clean) } : {};
}

/**
 * Decides, per mailbox of the chosen servers and accounts (deleted mailboxes too: their history ages out like
 * any other), the retention that applies and the cutoff, and writes the plan; one work item per mailbox.
 * A function of the operation, the policy and the index: a re-plan writes the same plan unless the policy
 * changed in between.
 */
export async function planPurge(target: PurgePlanTarget, op: Operation): Promise<number> {
  const params = parseOrThrow(purgeParamsSchema, op.params, `parameters of purge ${op.id}`);
  const created = Date.parse(op.createdAt);
  const asOf =
    params.asOf === undefined
      ? created
      : typeof params.asOf === 'number'
        ? params.asOf
        : Date.parse(params.asOf);
  if (asOf > created)
    throw new ValidationError(
      `asOf ${new Date(asOf).toISOString()} is after the purge was asked for (${op.createdAt}): a purge never looks ahead`,
    );
  const [policy, holds] = await Promise.all([readPolicy(target), listHolds(target)]);
  const held = new Set(holds.map((h) => h.accountId));
  const wanted = params.accounts ? new Set(params.accounts) : undefined;
  const entries: PurgeEntry[] = [];
  for (const serverId of params.servers ?? (await listServers(target.indexTable))) {
    const { versions } = await mailboxHistory(target.indexTable, serverId);
    const accountOf = new Map<number, string>();
    for (const v of versions) if (v.state?.accountId) accountOf.set(v.mailboxId, v.state.accountId);
    const directory = await directoryAsOf(target.indexTable, serverId, asOf);
    for (const [mailboxId, accountId] of [...accountOf].sort(([a], [b]) => a - b)) {
      if (wanted && !wanted.has(accountId)) continue;
      const cosId = directory.objects.get(accountId)?.attributes.zimbraCOSId?.[0];
      const retention = retentionFor(policy, held, { serverId, accountId, cosId }, asOf);
      entries.push({
        serverId,
        mailboxId,
        accountId,
        days: retention.days,
        source: retention.source,
        ...(retention.cutoff !== undefined ? { cutoff: retention.cutoff } : {}),
      });
    }
  }
  const servers: NonNullable<PurgePlan['servers']> = {};
  for (const serverId of new Set(entries.map((e) => e.serverId)))
    servers[serverId] = await cutRedo(
      target.indexTable,
      serverId,
      entries.filter((e) => e.serverId === serverId),
      params.accounts !== undefined,
    );
  const plan: PurgePlan = {
    operationId: op.id,
    asOf,
    dryRun: params.dryRun,
    accountsNamed: params.accounts !== undefined,
    entries,
    servers,
  };
  await putJson(target.backupBucket, purgePlanKey(op.id), plan);
  return entries.length;
}
