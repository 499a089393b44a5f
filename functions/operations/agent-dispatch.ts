import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { indexKeys, keyPrefixes, operationKeys } from '#core/index-keys.ts';
import {
  type AgentKind,
  agentParamsSchemas,
  type Dispatch,
  type DispatchReport,
  isFinished,
  type Operation,
} from '#core/operation.ts';
import { dispatchItem, dispatchItemOf, dispatchOf } from '#core/operations/dispatch-items.ts';
import { parseOrThrow } from '#core/validation.ts';
import { dynamodb, isConditionFailed } from '#functions/clients/dynamodb.ts';
import { ConflictError, OperationNotFoundError } from '#functions/errors.ts';
import {
  getOperation,
  type OperationsTable,
  touchOperation,
} from '#functions/operations/operations-store.ts';
import { type ReportTarget, reportServerShare } from '#functions/operations/server-share.ts';
import { awaitedMailboxes, liveMailboxes, liveMailboxIds } from '#functions/query/live-mailboxes.ts';
import { queryAll } from '#functions/query/query-all.ts';
import { listServers } from '#functions/query/resolve-account.ts';

export interface DispatchTarget extends ReportTarget {
  readonly indexTable: string;
}

const DAY_SECONDS = 86_400;
const expiresIn = (target: ReportTarget, days = target.operationRetentionDays) =>
  Math.floor(Date.now() / 1000) + days * DAY_SECONDS;

/**
 * The planner's part of an agent operation: one dispatch per server it names (default: every server in the
 * index), which that server's agent lists, claims, runs and reports. Returns how many. A smart scan of a
 * server whose index went past a lost segment verifies every mailbox until each is rescanned.
 */
export async function dispatchToAgents(target: DispatchTarget, op: Operation): Promise<number> {
  const kind = op.kind as AgentKind;
  const params = parseOrThrow(
    agentParamsSchemas[kind],
    op.params,
    `parameters of ${kind} operation ${op.id}`,
  );
  const { servers: named, ...shared } = params;
  const servers = named ?? (await listServers(target.indexTable));
  for (const [index, serverId] of servers.entries()) {
    await supersede(target, serverId, op);
    const verify =
      kind === 'smartscan' &&
      ((shared as { verify: boolean }).verify || (await awaitsRescan(target, serverId)));
    // A verifying scan also learns which mailboxes the index holds: one the server no longer has (deleted in
    // redo the index never got, maybe created after the last scan) is then scanned as absent.
    const own = verify
      ? { ...shared, verify: true, indexed: await liveMailboxes(target.indexTable, serverId) }
      : shared;
    try {
      await dynamodb().send(
        new PutCommand({
          TableName: target.operationsTable,
          Item: dispatchItem({
            serverId,
            operationId: op.id,
            kind,
            params: own,
            createdAt: op.createdAt,
            index,
            expiresAt: expiresIn(target),
          }),
          // A redelivered plan leaves a claimed dispatch as it is.
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  }
  return servers.length;
}

/**
 * Older dispatches of the same kind that the server's agent never claimed end as failed: at most one of each
 * kind waits per server, however long an agent stays away (or runs without `control` in its configuration).
 */
async function supersede(target: DispatchTarget, serverId: string, op: Operation): Promise<void> {
  for (const old of await listDispatches(target, serverId)) {
    if (old.kind !== op.kind || old.state !== 'pending' || old.createdAt >= op.createdAt) continue;
    await reportDispatch(target, serverId, old.operationId, {
      outcome: 'failed',
      error: `superseded by operation ${op.id}: the agent of ${serverId} did not claim it (is "control" set in its configuration, and is it running?)`,
      progress: {},
      summary: {},
    });
  }
}

/** True when an operator bridged a gap of the server and some mailbox has not been rescanned since. */
async function awaitsRescan(target: DispatchTarget, serverId: string): Promise<boolean> {
  const { items } = await queryAll({
    TableName: target.indexTable,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :bridge)',
    FilterExpression: 'attribute_exists(unscanned)',
    ExpressionAttributeValues: { ':pk': indexKeys.server(serverId), ':bridge': keyPrefixes.bridge },
  });
  if (items.length === 0) return false;
  const live = await liveMailboxIds(target.indexTable, serverId);
  return items.some((b) => awaitedMailboxes(b.unscanned as Set<string> | undefined, live).length > 0);
}

/** What waits for a server's agent, oldest first (claimed ones too: an agent that restarted resumes them). */
export async function listDispatches(table: OperationsTable, serverId: string): Promise<Dispatch[]> {
  const { pk, skPrefix } = operationKeys.dispatchesOf(serverId);
  const { items } = await queryAll({
    TableName: table.operationsTable,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :op)',
    ExpressionAttributeValues: { ':pk': pk, ':op': skPrefix },
    ConsistentRead: true,
  });
  return items.map(dispatchOf);
}

/**
 * The agent takes its share of a running operation. Claiming again what it claimed is allowed (it restarted);
 * a dispatch of an operation that was stopped meanwhile is dropped, and the claim refused.
 */
export async function claimDispatch(
  table: OperationsTable,
  serverId: string,
  operationId: string,
): Promise<Dispatch> {
  const op = await getOperation(table, operationId);
  const key = operationKeys.dispatch(serverId, op.createdAt, op.id);
  if (isFinished(op.state)) {
    await dynamodb().send(new DeleteCommand({ TableName: table.operationsTable, Key: key }));
    throw new ConflictError(`operation ${op.id} is ${op.state}: nothing to run`);
  }
  if (op.state === 'queued')
    throw new ConflictError(`operation ${op.id} is still being planned: claim it again in a moment`);
  try {
    const out = await dynamodb().send(
      new UpdateCommand({
        TableName: table.operationsTable,
        Key: key,
        UpdateExpression: 'SET dispatchState = :claimed, claimedAt = if_not_exists(claimedAt, :now)',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':claimed': 'claimed', ':now': new Date().toISOString() },
        ReturnValues: 'ALL_NEW',
      }),
    );
    // A claim is also the agent's heartbeat while it runs the share (it claims again at every look).
    await touchOperation(table, op.id);
    return dispatchOf(out.Attributes ?? {});
  } catch (error) {
    if (isConditionFailed(error))
      throw new OperationNotFoundError(
        `operation ${op.id} has no share for server ${serverId} (or it was reported)`,
      );
    throw error;
  }
}

/**
 * The agent's share is over: it counts once (a repeated report does not count twice), its summary is kept
 * with the operation, and the last share to report finishes the operation: failed if any share failed.
 */
export async function reportDispatch(
  target: ReportTarget,
  serverId: string,
  operationId: string,
  report: DispatchReport,
): Promise<Operation> {
  const op = await getOperation(target, operationId);
  const key = operationKeys.dispatch(serverId, op.createdAt, op.id);
  const item = (
    await dynamodb().send(
      new GetCommand({ TableName: target.operationsTable, Key: key, ConsistentRead: true }),
    )
  ).Item;
  const dispatch = item && dispatchItemOf(item);
  if (!dispatch)
    throw new OperationNotFoundError(
      `operation ${op.id} has no share for server ${serverId} (or it was reported)`,
    );
  await reportServerShare(target, op.id, serverId, dispatch.index, report, async () => {
    await dynamodb().send(new DeleteCommand({ TableName: target.operationsTable, Key: key }));
  });
  return getOperation(target, op.id);
}
