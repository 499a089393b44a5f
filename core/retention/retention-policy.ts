import { z } from 'zod';

const DAY_MS = 86_400_000;
/** Days of history to keep; 0 keeps everything (no purge). */
const days = z.number().int().min(0).max(36_500);
const zimbraId = z.string().regex(/^[A-Za-z0-9-]{1,127}$/, { message: 'expected a zimbraId' });
const serverId = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, { message: 'expected 1–64 of A-Z a-z 0-9 . _ -' });

/**
 * How long deleted and changed mail is kept, most specific first: the account, its class of service, its
 * server, the default. A legal hold on an account overrides all of it: nothing of that account is purged.
 */
export const retentionPolicySchema = z.strictObject({
  defaultDays: days.default(0),
  servers: z.record(serverId, days).default({}),
  cos: z.record(zimbraId, days).default({}),
  accounts: z.record(zimbraId, days).default({}),
});
export type RetentionPolicy = z.output<typeof retentionPolicySchema>;

export const legalHoldRequestSchema = z.strictObject({
  accountId: zimbraId,
  reason: z.string().min(1).max(500),
});

/** A legal hold as stored (its keys aside): read back through this schema. */
export const legalHoldSchema = z.object({
  accountId: z.string(),
  reason: z.string(),
  since: z.string(),
  /** Who placed it (the caller's IAM ARN); absent on holds placed before callers were recorded. */
  placedBy: z.string().optional(),
});
export type LegalHold = Readonly<z.output<typeof legalHoldSchema>>;

/** One change of a legal hold or of the retention policy: what, to which account, by whom, when. */
export const retentionAuditEntrySchema = z.object({
  at: z.string(),
  action: z.enum(['hold', 'release', 'retention']),
  by: z.string(),
  accountId: z.string().optional(),
  reason: z.string().optional(),
});
export type RetentionAuditEntry = Readonly<z.output<typeof retentionAuditEntrySchema>>;

export interface EffectiveRetention {
  /** 0: keep everything. */
  readonly days: number;
  readonly source: 'hold' | 'account' | 'cos' | 'server' | 'default';
  /** Versions that ended before this instant (ms) are purged; undefined: nothing is. */
  readonly cutoff: number | undefined;
}

/** The retention that applies to one account's mailbox, counted back from `asOf`. */
export function retentionFor(
  policy: RetentionPolicy,
  holds: ReadonlySet<string>,
  mailbox: { serverId: string; accountId: string; cosId?: string | undefined },
  asOf: number,
): EffectiveRetention {
  if (holds.has(mailbox.accountId)) return { days: 0, source: 'hold', cutoff: undefined };
  const [chosen, source] =
    policy.accounts[mailbox.accountId] !== undefined
      ? [policy.accounts[mailbox.accountId], 'account' as const]
      : mailbox.cosId !== undefined && policy.cos[mailbox.cosId] !== undefined
        ? [policy.cos[mailbox.cosId], 'cos' as const]
        : policy.servers[mailbox.serverId] !== undefined
          ? [policy.servers[mailbox.serverId], 'server' as const]
          : [policy.defaultDays, 'default' as const];
  const keep = chosen ?? 0;
  return { days: keep, source, cutoff: keep === 0 ? undefined : asOf - keep * DAY_MS };
}
