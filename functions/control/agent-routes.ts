import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { dispatchReportSchema } from '#core/operation.ts';
import { parseOrThrow } from '#core/validation.ts';
import { sqs } from '#functions/clients/sqs.ts';
import type { FunctionConfig } from '#functions/config.ts';
import type { ApiRequest, ApiResponse } from '#functions/control/route-request.ts';
import { ConflictError } from '#functions/errors.ts';
import { readCursor } from '#functions/index/index-cursor.ts';
import { claimDispatch, listDispatches, reportDispatch } from '#functions/operations/agent-dispatch.ts';

const SERVER = '/servers/([A-Za-z0-9._-]{1,64})';
const DISPATCHES = new RegExp(`^${SERVER}/dispatches$`);
const DISPATCH = new RegExp(`^${SERVER}/dispatches/([0-9a-f-]{36})/(claim|report)$`);
const BRIDGE = new RegExp(`^${SERVER}/bridge$`);

const decimal = z.string().regex(/^(0|[1-9]\d{0,18})$/);
const bridgeRequestSchema = z.strictObject({ seq: decimal, offset: decimal });

/**
 * What agents and operators ask of one server: the agent's dispatches (list, claim, report) and bridging a
 * gap in its index. Undefined when the path is not one of them.
 */
export async function agentRoute(
  config: FunctionConfig<'control'>,
  request: ApiRequest,
  body: () => unknown,
): Promise<ApiResponse | undefined> {
  const { method, path } = request;
  const list = DISPATCHES.exec(path);
  if (method === 'GET' && list?.[1])
    return { status: 200, body: { dispatches: await listDispatches(config, list[1]) } };
  const one = DISPATCH.exec(path);
  if (method === 'POST' && one?.[1] && one[2]) {
    const [, serverId, operationId, action] = one;
    if (action === 'claim')
      return { status: 200, body: { dispatch: await claimDispatch(config, serverId, operationId) } };
    const report = parseOrThrow(dispatchReportSchema, body(), 'dispatch report');
    return { status: 200, body: await reportDispatch(config, serverId, operationId, report) };
  }
  const bridge = BRIDGE.exec(path);
  if (method === 'POST' && bridge?.[1]) {
    const serverId = bridge[1];
    const at = parseOrThrow(bridgeRequestSchema, body(), 'bridge request');
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
        }),
      }),
    );
    return {
      status: 202,
      body: { requested: true, serverId, at, reason: cursor.reason ?? '' },
    };
  }
  return undefined;
}
