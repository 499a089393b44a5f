import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { parseOrThrow } from '#core/validation.ts';
import { sqs } from '#functions/clients/sqs.ts';
import type { FunctionConfig } from '#functions/config.ts';
import type { ApiResponse } from '#functions/control/api-request.ts';
import type { RouteHandlers } from '#functions/control/route-context.ts';
import { ConflictError } from '#functions/errors.ts';
import { readCursor } from '#functions/index/index-cursor.ts';

const decimal = z.string().regex(/^(0|[1-9]\d{0,18})$/);
const bridgeRequestSchema = z.strictObject({ seq: decimal, offset: decimal });

/** An operator bridges a gap in a server's index (an operator's route: agents have their own API). */
export const BRIDGE_ROUTES: RouteHandlers<FunctionConfig<'control'>> = {
  bridge: async ({ config, params, body, by }) => bridge(config, params.serverId as string, body(), by),
};

async function bridge(
  config: FunctionConfig<'control'>,
  serverId: string,
  request: unknown,
  by: string,
): Promise<ApiResponse> {
  const at = parseOrThrow(bridgeRequestSchema, request, 'bridge request');
  const cursor = await readCursor(config.indexTable, serverId);
  if (cursor?.state !== 'gap')
    throw new ConflictError(
      `indexing of ${serverId} is ${cursor?.state ?? 'not started'}, not held at a gap: nothing to bridge`,
    );
  if (cursor.seq !== at.seq || cursor.offset !== at.offset)
    throw new ConflictError(
      `the gap of ${serverId} is at redo file ${cursor.seq} offset ${cursor.offset}, not ${at.seq}:${at.offset}: look again (offsite backup list)`,
    );
  // The indexer does it, in the server's group: in order with the segments it indexes.
  await sqs().send(
    new SendMessageCommand({
      QueueUrl: config.ingestQueueUrl,
      MessageGroupId: serverId,
      MessageDeduplicationId: `bridge-${serverId}-${at.seq}-${at.offset}`,
      MessageBody: JSON.stringify({
        type: 'index-bridge',
        serverId,
        seq: at.seq,
        offset: at.offset,
        requestedAt: new Date().toISOString(),
        requestedBy: by,
      }),
    }),
  );
  return {
    status: 202,
    body: { requested: true, serverId, at, reason: cursor.reason ?? '' },
  };
}
