import { z } from 'zod';

const serverId = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, { message: 'expected 1–64 of A-Z a-z 0-9 . _ -' });
const zimbraId = z.string().regex(/^[A-Za-z0-9-]{1,127}$/, { message: 'expected a zimbraId' });

/** Parameters of a purge operation (the nightly or weekly schedule runs it with none). */
export const purgeParamsSchema = z.strictObject({
  /** Count what would go, remove nothing. */
  dryRun: z.boolean().default(false),
  servers: z.array(serverId).min(1).optional(),
  /** Account ids (zimbraId); default every account of the servers. */
  accounts: z.array(zimbraId).min(1).optional(),
  /**
   * The instant retention counts back from (ms or ISO): default the operation's creation. Never later than
   * that: a purge does not look ahead.
   */
  asOf: z.union([z.number().int().nonnegative(), z.iso.datetime({ offset: true })]).optional(),
});
export type PurgeParams = z.output<typeof purgeParamsSchema>;

/** One mailbox's share of a purge, as the planner decided it. */
export interface PurgeEntry {
  serverId: string;
  mailboxId: number;
  accountId: string;
  days: number;
  source: 'hold' | 'account' | 'cos' | 'server' | 'default';
  /** Versions that ended before it (ms) go; absent: the mailbox is kept whole. */
  cutoff?: number;
  /**
   * Where the mailbox's base snapshot goes when the server's redo is cut: the end of the first indexed segment
   * at or after its cutoff (its state there is in the index whatever was pruned before it).
   */
  cut?: RedoCut;
}

/** A point of a server's redo stream: a segment's end, and the time of the last operation before it. */
export interface RedoCut {
  seq: string;
  offset: string;
  time: number;
}

export interface PurgePlan {
  operationId: string;
  asOf: number;
  dryRun: boolean;
  /** The purge named accounts: the other accounts' redo is not the purge's to remove. */
  accountsNamed: boolean;
  entries: PurgeEntry[];
  /**
   * By server id: `cut`, where its redo goes up to, when the purge covers all of its mailboxes; each mailbox
   * then writes its base snapshot at its own cut first. Plans from before this have none: no redo goes, and
   * versions go by the cutoff alone.
   */
  servers?: Record<string, { cut?: RedoCut }>;
}
