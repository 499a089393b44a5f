import { z } from 'zod';
import { operationKeys } from '#core/index-keys.ts';
import { parseOrThrow } from '#core/validation.ts';

// One server's report on its share of an operation, kept with the operation in the operations table (and
// expiring with it). Written by `shareReportItem`, read back through `shareReportOf`.

const shareReportSchema = z.looseObject({
  pk: z.string(),
  sk: z.string(),
  serverId: z.string(),
  outcome: z.enum(['done', 'failed']),
  error: z.string().optional(),
  summary: z.record(z.string(), z.unknown()),
  reportedAt: z.string(),
  expiresAt: z.number(),
});

export type ShareReportItem = z.output<typeof shareReportSchema>;

/** What an operation's result says of one server's share. */
export interface ShareReport {
  outcome: 'done' | 'failed';
  error?: string;
  summary: Record<string, unknown>;
  reportedAt: string;
}

export function shareReportItem(
  operationId: string,
  serverId: string,
  report: { outcome: 'done' | 'failed'; error?: string; summary: Record<string, unknown> },
  reportedAt: Date,
  expiresAt: number,
): ShareReportItem {
  return {
    ...operationKeys.report(operationId, serverId),
    serverId,
    outcome: report.outcome,
    ...(report.error ? { error: report.error } : {}),
    summary: report.summary,
    reportedAt: reportedAt.toISOString(),
    expiresAt,
  };
}

export function shareReportOf(item: Record<string, unknown>): { serverId: string; report: ShareReport } {
  const r = parseOrThrow(shareReportSchema, item, `share report ${String(item.pk)} ${String(item.sk)}`);
  return {
    serverId: r.serverId,
    report: {
      outcome: r.outcome,
      ...(r.error !== undefined ? { error: r.error } : {}),
      summary: r.summary,
      reportedAt: r.reportedAt,
    },
  };
}
