import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { operationKeys } from '#core/index-keys.ts';
import type { DispatchReport } from '#core/operation.ts';
import { type ShareReport, shareReportItem, shareReportOf } from '#core/operations/share-reports.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import {
  countWorkItem,
  finishOperation,
  getOperation,
  type OperationsTable,
} from '#functions/operations/operations-store.ts';
import { queryAll } from '#functions/query/query-all.ts';

/** Where a server's share of an operation is reported: the operations table, and how long a report stays. */
export interface ReportTarget extends OperationsTable {
  readonly operationRetentionDays: number;
}

export type ServerReport = Omit<DispatchReport, 'progress'> & { progress?: Record<string, number> };

const DAY_SECONDS = 86_400;

/**
 * One server's share of an operation is over (an agent's, or the indexer's in a reindex): its report is kept
 * with the operation, it counts once (a repeated report does not count twice), and the last share to report
 * finishes the operation: failed if any share failed. `counted` runs between the count and the finish.
 */
export async function reportServerShare(
  target: ReportTarget,
  operationId: string,
  serverId: string,
  index: number,
  report: ServerReport,
  counted: () => Promise<void> = async () => undefined,
): Promise<void> {
  await dynamodb().send(
    new PutCommand({
      TableName: target.operationsTable,
      Item: shareReportItem(
        operationId,
        serverId,
        report,
        new Date(),
        Math.floor(Date.now() / 1000) + (target.operationRetentionDays + 1) * DAY_SECONDS,
      ),
    }),
  );
  const counts = await countWorkItem(target, operationId, index, report.outcome, report.progress ?? {});
  await counted();
  if (counts && counts.total > 0 && counts.done + counts.failed >= counts.total)
    await finishWhenAllReported(target, operationId);
}

/**
 * Finishes a running operation whose shares have all reported (failed if any failed). Also called by a
 * planner right after it starts an operation, for shares that reported before the start set the total.
 */
export async function finishWhenAllReported(target: ReportTarget, operationId: string): Promise<void> {
  const op = await getOperation(target, operationId);
  if (op.state !== 'running' || op.total === 0 || op.done + op.failed < op.total) return;
  const reports = await operationReports(target, operationId);
  const failed = Object.entries(reports).filter(([, r]) => r.outcome === 'failed');
  await finishOperation(
    target,
    operationId,
    failed.length > 0 ? 'failed' : 'succeeded',
    failed.length > 0
      ? `${failed.length} of ${op.total} servers failed: ${failed.map(([id, r]) => `${id}: ${r.error ?? 'no reason given'}`).join('; ')}`
      : undefined,
    { servers: reports },
  );
}

/** Each server's report on an operation, by server id. */
export async function operationReports(
  table: OperationsTable,
  operationId: string,
): Promise<Record<string, ShareReport>> {
  const { pk, skPrefix } = operationKeys.reportsOf(operationId);
  const { items } = await queryAll({
    TableName: table.operationsTable,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :report)',
    ExpressionAttributeValues: { ':pk': pk, ':report': skPrefix },
    ConsistentRead: true,
  });
  return Object.fromEntries(items.map(shareReportOf).map(({ serverId, report }) => [serverId, report]));
}
