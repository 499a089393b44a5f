import { z } from 'zod';

const serverId = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, { message: 'expected 1–64 of A-Z a-z 0-9 . _ -' });

/**
 * A reindex: the servers whose index is rebuilt from the bucket, and optionally the redo file to start at
 * (when older redo is gone: retention purged it, or it was never shipped). A sequence number belongs to one
 * server, so `fromSeq` needs exactly one.
 */
export const reindexParamsSchema = z
  .strictObject({
    servers: z.array(serverId).min(1).max(100),
    fromSeq: z
      .string()
      .regex(/^(0|[1-9]\d{0,18})$/, { message: 'expected a redo file sequence number' })
      .optional(),
  })
  .refine((p) => p.fromSeq === undefined || p.servers.length === 1, {
    message: 'fromSeq is a redo file of one server: name exactly one server with it',
  })
  .refine((p) => new Set(p.servers).size === p.servers.length, { message: 'a server is named twice' });

export type ReindexParams = z.output<typeof reindexParamsSchema>;
