import { z } from 'zod';
import { redoPosition } from '#core/index/redo-position.ts';
import type { UndecodedRecord } from '#core/index/undecoded-record.ts';
import { indexKeys } from '#core/index-keys.ts';
import { parseOrThrow } from '#core/validation.ts';

// What the indexer marks in a server's partition besides the catalog: a segment it could not index
// (quarantine), a record it could not decode or whose outcome the log does not tell (uncertain), and a gap
// an operator let indexing go on past (bridge). Written through the builders here, read back through the
// `…Of` functions, which check what readers rely on.

const keyed = { pk: z.string(), sk: z.string() };

const quarantineSchema = z.looseObject({
  ...keyed,
  type: z.literal('quarantine'),
  /** The segment's catalog sort key. */
  segment: z.string(),
  s3Key: z.string(),
  reason: z.string(),
  since: z.string(),
});
export type QuarantineMark = z.output<typeof quarantineSchema>;

const uncertainSchema = z.looseObject({
  ...keyed,
  type: z.literal('uncertain'),
  position: z.string(),
  seq: z.string(),
  s3Key: z.string(),
  offset: z.number(),
  end: z.number(),
  op: z.string(),
  version: z.string(),
  mailboxId: z.number(),
  reason: z.string(),
  time: z.number(),
  cause: z.literal('result-not-recorded').optional(),
  /** The redo position of the scan that restated the mailbox since (the mark then no longer counts). */
  restatedAt: z.string().optional(),
});
export type UncertainMark = z.output<typeof uncertainSchema>;

const bridgeFields = {
  from: z.string(),
  to: z.string(),
  reason: z.string(),
  bridgedAt: z.string(),
  requestedAt: z.string(),
  /** Who accepted the loss (their IAM ARN), when the request said. */
  requestedBy: z.string().optional(),
  /** Transactions open at the gap, whose remaining records may be lost: dropped. */
  droppedTransactions: z.number(),
  mailboxes: z.number(),
  /** Mailboxes (ids) live at the bridge that no scan has restated since; gone once all are. */
  unscanned: z.set(z.string()).optional(),
};
const bridgeSchema = z.looseObject({ ...keyed, type: z.literal('bridge'), ...bridgeFields });
/** What a bridge says (its keys aside). */
export type BridgeFields = z.output<z.ZodObject<typeof bridgeFields>>;
export type BridgeMark = z.output<typeof bridgeSchema>;

export function quarantineMark(
  serverId: string,
  segment: { seq: string; firstOffset: string; sk: string; s3Key: string },
  reason: string,
  since: string,
): QuarantineMark {
  return {
    pk: indexKeys.server(serverId),
    sk: indexKeys.quarantine(segment.seq, segment.firstOffset),
    type: 'quarantine',
    segment: segment.sk,
    s3Key: segment.s3Key,
    reason,
    since,
  };
}

/** The mark that makes a mailbox uncertain from an undecoded record on (until a scan restates it). */
export function uncertainMark(
  serverId: string,
  segment: { seq: string; s3Key: string },
  u: UndecodedRecord,
): UncertainMark {
  const position = redoPosition(segment.seq, String(u.offset));
  return {
    pk: indexKeys.server(serverId),
    sk: indexKeys.uncertain(u.mailboxId, position),
    type: 'uncertain',
    position,
    seq: segment.seq,
    s3Key: segment.s3Key,
    ...u,
  };
}

export function bridgeMark(
  serverId: string,
  at: { seq: string; offset: string },
  bridge: BridgeFields,
): BridgeMark {
  return {
    pk: indexKeys.server(serverId),
    sk: indexKeys.bridge(at.seq, at.offset),
    type: 'bridge',
    ...bridge,
  };
}

const what = (item: Record<string, unknown>) => `item ${String(item.pk)} ${String(item.sk)}`;

export const quarantineOf = (item: Record<string, unknown>): QuarantineMark =>
  parseOrThrow(quarantineSchema, item, `quarantine ${what(item)}`);
export const uncertainOf = (item: Record<string, unknown>): UncertainMark =>
  parseOrThrow(uncertainSchema, item, `uncertain mark ${what(item)}`);
export const bridgeOf = (item: Record<string, unknown>): BridgeMark =>
  parseOrThrow(bridgeSchema, item, `bridge ${what(item)}`);
