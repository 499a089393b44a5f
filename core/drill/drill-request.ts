import { z } from 'zod';

// What an operator (or the daily schedule, with the defaults) asks of a restore drill: how many accounts to
// restore, at instants picked at random within the last `days`, from which servers. `picks` names the
// accounts and instants instead (a re-run of a drill that failed, or a drill of one account an auditor chose).

const serverId = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, { message: 'expected 1–64 of A-Z a-z 0-9 . _ -' });
/** ISO 8601 with a zone, or epoch milliseconds. */
const instant = z.union([z.iso.datetime({ offset: true }), z.number().int().nonnegative()]);

export const drillPickSchema = z.strictObject({
  /** An account name, a zimbraId, or server:mailboxId. */
  account: z.string().min(1).max(320),
  at: instant,
});
export type DrillPick = z.output<typeof drillPickSchema>;

export const drillParamsSchema = z
  .strictObject({
    /** Accounts restored, picked at random among those the index holds. */
    accounts: z.number().int().min(1).max(100).default(2),
    /** Instants are picked within the last this many days (and within each mailbox's backed-up life). */
    days: z.number().int().min(1).max(3650).default(7),
    servers: z.array(serverId).min(1).max(500).optional(),
    /** The same seed and index pick the same accounts, at the same points of their windows (default: from the id). */
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .optional(),
    picks: z.array(drillPickSchema).min(1).max(100).optional(),
    /** Work items hold at most this many bodies. */
    chunkItems: z.number().int().min(1).max(5000).default(500),
  })
  .superRefine((params, ctx) => {
    if (params.picks && (params.servers || params.seed !== undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['picks'],
        message: 'picks name the accounts and instants: servers and seed do not apply',
      });
  });
export type DrillParams = z.output<typeof drillParamsSchema>;
