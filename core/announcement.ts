import { z } from 'zod';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, { message: 'expected a lowercase hex SHA-256' });
const decimal = z
  .string()
  .regex(/^(0|[1-9]\d{0,18})$/, { message: 'expected a non-negative decimal integer' });

/**
 * What the agent announces on the FIFO ingest queue after a redo segment is durable in S3.
 * Sequence numbers and offsets are i64 on the server: carried as decimal strings to stay exact.
 */
export const segmentAnnouncementSchema = z.strictObject({
  type: z.literal('redo-segment'),
  serverId: z.string().min(1).max(127),
  seq: decimal,
  firstOffset: decimal,
  lastOffset: decimal,
  key: z.string().min(1).max(1024),
  sha256: sha256Hex,
  size: z.number().int().nonnegative(),
  storedSize: z.number().int().nonnegative(),
  codec: z.enum(['zstd', 'gzip', 'none']),
  firstOpTime: z.iso.datetime().optional(),
  lastOpTime: z.iso.datetime().optional(),
  shippedAt: z.iso.datetime(),
});

export type SegmentAnnouncement = z.output<typeof segmentAnnouncementSchema>;
