import { type DrillParams, drillParamsSchema } from '#core/drill/drill-request.ts';
import { type DrillSample, pickDrillSamples, seedOf } from '#core/drill/pick-drill-samples.ts';
import type { Operation } from '#core/operation.ts';
import type { RestoreParams } from '#core/restore/restore-request.ts';
import { toMs } from '#core/restore/restore-request.ts';
import { seededRandom } from '#core/seeded-random.ts';
import { operationObjectKeys } from '#core/storage/operation-keys.ts';
import { parseOrThrow } from '#core/validation.ts';
import { listAccounts } from '#functions/query/list-accounts.ts';
import { cachedDirectoryReader } from '#functions/restore/directory-reader.ts';
import { putJson } from '#functions/restore/operation-objects.ts';
import { type RestorePlanTarget, writeRestorePlan } from '#functions/restore/plan-restore.ts';
import type { RestoreSummary } from '#functions/restore/restore-plan.ts';
import { type RestoreSource, restoreSources } from '#functions/restore/restore-sources.ts';

/** One account a drill restores: where, at which instant, as `index` in its restore plan. */
export interface DrillPlanAccount {
  readonly index: number;
  readonly serverId: string;
  readonly mailboxId: number;
  readonly account: string;
  /** ISO 8601. */
  readonly at: string;
}

export interface DrillPlan {
  readonly drillId: string;
  readonly startedAt: string;
  readonly seed?: number;
  readonly accounts: readonly DrillPlanAccount[];
}

/**
 * Plans a restore drill: picks the accounts and instants (at random with the seed, or as the operator named
 * them), and plans their restore exactly as a restore operation would, each account at its own instant. The
 * workers then copy and check the bodies as for any restore. Returns the number of work items (0: the index
 * holds no account yet, nothing to drill).
 */
export async function planDrill(target: RestorePlanTarget, op: Operation): Promise<number> {
  const params = parseOrThrow(drillParamsSchema, op.params, `parameters of drill ${op.id}`);
  const now = Date.parse(op.createdAt);
  const directory = cachedDirectoryReader(target.indexTable);
  const restoreParams: RestoreParams = {
    mode: 'point-in-time',
    accounts: [],
    domains: [],
    all: false,
    chunkItems: params.chunkItems,
    skipDeletes: false,
  };
  const seed = params.picks ? undefined : (params.seed ?? seedOf(op.id));
  const picks = params.picks
    ? params.picks.map((p) => ({ account: p.account, at: toMs(p.at) }))
    : (await samplesOf(target, params, now, seed as number)).map((s) => ({
        account: `${s.serverId}:${s.mailboxId}`,
        at: s.at,
      }));
  if (picks.length === 0) return 0;
  const sources: RestoreSource[] = [];
  for (const pick of picks) {
    const [source] = await restoreSources(
      target.indexTable,
      { ...restoreParams, accounts: [pick.account] },
      { time: pick.at },
      now,
      directory,
    );
    if (source) sources.push(source);
  }
  const summary: RestoreSummary = {
    operationId: op.id,
    mode: 'point-in-time',
    createdAt: op.createdAt,
    point: { time: op.createdAt },
    accounts: [],
    workItems: 0,
  };
  const written = await writeRestorePlan(target, summary, restoreParams, sources, now, directory);
  const plan: DrillPlan = {
    drillId: op.id,
    startedAt: op.createdAt,
    ...(seed === undefined ? {} : { seed }),
    accounts: sources.map((s, index) => ({
      index,
      serverId: s.serverId,
      mailboxId: s.mailboxId,
      account: s.name,
      at: new Date((s.point as { time: number }).time).toISOString(),
    })),
  };
  await putJson(target.backupBucket, operationObjectKeys.drill.plan(op.id), plan);
  return written.workItems;
}

/** Live accounts of the servers asked for, sampled with the seed. */
async function samplesOf(
  target: RestorePlanTarget,
  params: DrillParams,
  now: number,
  seed: number,
): Promise<DrillSample[]> {
  const rows = (await listAccounts(target.indexTable, now, false)).filter(
    (row) => row.deletedAt === undefined && (!params.servers || params.servers.includes(row.serverId)),
  );
  const candidates = rows.map((row) => ({
    serverId: row.serverId,
    mailboxId: row.mailboxId,
    name: row.name ?? `${row.serverId}:${row.mailboxId}`,
    since: Date.parse(row.createdAt),
  }));
  return pickDrillSamples(candidates, params.accounts, { now, days: params.days }, seededRandom(seed));
}
