import { z } from 'zod';
import { operationKeys } from '#core/index-keys.ts';
import { parseOrThrow } from '#core/validation.ts';

// What an agent tells the agent API as it ships (POST /servers/<id>/agent-report), kept as one item per server
// in the operations table: "is my backup current?" compares it with what the index has applied.

const decimal = z
  .string()
  .regex(/^(0|[1-9]\d{0,18})$/, { message: 'expected a non-negative decimal integer' });
const position = { sequence: decimal, offset: z.number().int().nonnegative() };

export const agentReportSchema = z.strictObject({
  /** The last redo the agent announced: where, when, and the time of its last record. */
  announced: z
    .strictObject({ ...position, at: z.iso.datetime(), lastOpTime: z.iso.datetime().optional() })
    .nullable(),
  /** How far the server's live redo log was when the agent last looked. */
  live: z.strictObject({ ...position, at: z.iso.datetime() }).nullable(),
  /** Seconds and bytes the agent has seen but not announced yet. */
  lagSeconds: z.number().nonnegative(),
  lagBytes: z.number().int().nonnegative(),
  spool: z.strictObject({ entries: z.number().int().nonnegative(), bytes: z.number().int().nonnegative() }),
  lastError: z.strictObject({ at: z.iso.datetime(), message: z.string().max(1000) }).nullable(),
  /** Redo files lost before they were read (each a gap in the backup). */
  gaps: z.number().int().nonnegative(),
  agentVersion: z.string().max(40).optional(),
});

export type AgentReport = z.output<typeof agentReportSchema>;

const agentReportItemSchema = z.looseObject({
  pk: z.string(),
  sk: z.string(),
  type: z.literal('agent-report'),
  serverId: z.string(),
  /** When the agent API received it: the agent's last contact, by the cloud's clock. */
  receivedAt: z.string(),
  report: agentReportSchema,
});

export type AgentReportItem = z.output<typeof agentReportItemSchema>;

export function agentReportItem(serverId: string, report: AgentReport, receivedAt: string): AgentReportItem {
  return { ...operationKeys.agentReport(serverId), type: 'agent-report', serverId, receivedAt, report };
}

export function agentReportOf(item: Record<string, unknown>): AgentReportItem {
  return parseOrThrow(agentReportItemSchema, item, `agent report ${String(item.sk)}`);
}
