import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { indexKeys } from '#core/index-keys.ts';
import type { TxnId } from '#core/redo/redo-record.ts';
import { parseOrThrow } from '#core/validation.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';

/** An op of a transaction still open at a segment's end: where its record is, to be read again later. */
export interface PendingRef {
  seq: string;
  offset: number;
  length: number;
}

export interface PendingTxnRef {
  txnId: TxnId;
  ops: PendingRef[];
}

/** How far a server's redo stream is indexed: everything before (seq, offset) is applied. */
export interface IndexCursor {
  seq: string;
  offset: string;
  pending: PendingTxnRef[];
  segments: number;
  lastCommitTime?: number;
  state: 'ok' | 'gap' | 'quarantined';
  /** With state gap or quarantined: what is wrong and what to do. */
  reason?: string;
  since?: string;
}

export async function readCursor(table: string, serverId: string): Promise<IndexCursor | undefined> {
  const out = await dynamodb().send(
    new GetCommand({
      TableName: table,
      Key: { pk: indexKeys.server(serverId), sk: indexKeys.cursor },
      ConsistentRead: true,
    }),
  );
  if (!out.Item) return undefined;
  const { pk: _pk, sk: _sk, ...item } = out.Item;
  const { lastCommitTime, ...cursor } = parseOrThrow(cursorSchema, item, `index cursor of ${serverId}`);
  // A commit that knew no commit time stores null there.
  return { ...cursor, ...(typeof lastCommitTime === 'number' ? { lastCommitTime } : {}) };
}

// Loose objects: fields written later than this reader keep their values when the cursor is written back.
const cursorSchema = z.looseObject({
  seq: z.string(),
  offset: z.string(),
  pending: z.array(
    z.looseObject({
      txnId: z.looseObject({ time: z.number(), counter: z.number() }),
      ops: z.array(z.looseObject({ seq: z.string(), offset: z.number(), length: z.number() })),
    }),
  ),
  segments: z.number(),
  lastCommitTime: z.number().nullable().optional(),
  state: z.enum(['ok', 'gap', 'quarantined']),
  reason: z.string().optional(),
  since: z.string().optional(),
});
