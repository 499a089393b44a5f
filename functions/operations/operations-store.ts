import { randomUUID } from 'node:crypto';
import { PublishCommand } from '@aws-sdk/client-sns';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { operationKeys } from '#core/index-keys.ts';
import { type Operation, type OperationKind, type OperationState, operationSchema } from '#core/operation.ts';
import { parseOrThrow } from '#core/validation.ts';
import { dynamodb, isConditionFailed } from '#functions/clients/dynamodb.ts';
import { sns } from '#functions/clients/sns.ts';
import { OperationNotFoundError } from '#functions/errors.ts';
import { logger } from '#functions/observability.ts';

export interface OperationsTable {
  readonly operationsTable: string;
  /** Where finished operations are announced (SNS); unset: not announced. */
  readonly operationsTopicArn?: string;
}

const DAY_SECONDS = 86_400;

export async function putOperation(
  table: OperationsTable,
  input: {
    kind: OperationKind;
    params: Record<string, unknown>;
    source: Operation['source'];
    requestedBy?: string;
    now?: Date;
  },
): Promise<Operation> {
  const now = (input.now ?? new Date()).toISOString();
  const op: Operation = {
    id: randomUUID(),
    kind: input.kind,
    state: 'queued',
    source: input.source,
    ...(input.requestedBy !== undefined ? { requestedBy: input.requestedBy } : {}),
    params: input.params,
    createdAt: now,
    updatedAt: now,
    total: 0,
    done: 0,
    failed: 0,
  };
  await dynamodb().send(
    new PutCommand({
      TableName: table.operationsTable,
      Item: { ...operationKeys.operation(op.id), ...op },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
  return op;
}

export async function getOperation(table: OperationsTable, id: string): Promise<Operation> {
  const result = await dynamodb().send(
    new GetCommand({
      TableName: table.operationsTable,
      Key: operationKeys.operation(id),
      ConsistentRead: true,
    }),
  );
  if (!result.Item) throw new OperationNotFoundError(`operation ${id} does not exist (or has expired)`);
  return toOperation(result.Item);
}

export async function listOperations(
  table: OperationsTable,
  state: OperationState,
  limit = 50,
): Promise<Operation[]> {
  const result = await dynamodb().send(
    new QueryCommand({
      TableName: table.operationsTable,
      IndexName: 'byState',
      KeyConditionExpression: '#state = :state',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':state': state },
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
  return (result.Items ?? []).map(toOperation);
}

/** queued → running with its number of work items. False if it was no longer queued (a redelivered plan). */
export async function startOperation(table: OperationsTable, id: string, total: number): Promise<boolean> {
  return conditionalUpdate(table, id, {
    UpdateExpression: 'SET #state = :running, #total = :total, #progress = :progress, updatedAt = :now',
    ConditionExpression: '#state = :queued',
    ExpressionAttributeNames: { '#state': 'state', '#total': 'total', '#progress': 'progress' },
    ExpressionAttributeValues: {
      ':running': 'running',
      ':queued': 'queued',
      ':total': total,
      ':progress': {},
      ':now': nowIso(),
    },
  });
}

/**
 * Counts one work item as finished, once: the item index is added to a string set under the condition that it
 * is not in it yet, so a redelivered work item does not count twice; its progress counters (messages, bytes…)
 * are added in the same update. Returns the counters after the update, or undefined if the item had been
 * counted already.
 */
export async function countWorkItem(
  table: OperationsTable,
  id: string,
  index: number,
  outcome: 'done' | 'failed',
  progress: Readonly<Record<string, number>> = {},
): Promise<{ done: number; failed: number; total: number } | undefined> {
  const counters = Object.entries(progress).filter(([name]) => /^[a-zA-Z]{1,32}$/.test(name));
  try {
    const result = await dynamodb().send(
      new UpdateCommand({
        TableName: table.operationsTable,
        Key: operationKeys.operation(id),
        UpdateExpression: `ADD #counter :one, #seen :item${counters.map((_, i) => `, #progress.#p${i} :p${i}`).join('')} SET updatedAt = :now`,
        ConditionExpression: 'attribute_exists(pk) AND NOT contains(#seen, :index)',
        ExpressionAttributeNames: {
          '#counter': outcome,
          '#seen': 'countedItems',
          ...(counters.length > 0 ? { '#progress': 'progress' } : {}),
          ...Object.fromEntries(counters.map(([name], i) => [`#p${i}`, name])),
        },
        ExpressionAttributeValues: {
          ':one': 1,
          ':item': new Set([String(index)]),
          ':index': String(index),
          ':now': nowIso(),
          ...Object.fromEntries(counters.map(([, value], i) => [`:p${i}`, value])),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const item = result.Attributes ?? {};
    return { done: Number(item.done ?? 0), failed: Number(item.failed ?? 0), total: Number(item.total ?? 0) };
  } catch (error) {
    if (isConditionFailed(error)) return undefined;
    throw error;
  }
}

/** A running operation shows it is alive (an agent working on its share): its `updatedAt` moves. */
export async function touchOperation(table: OperationsTable, id: string): Promise<boolean> {
  return conditionalUpdate(table, id, {
    UpdateExpression: 'SET updatedAt = :now',
    ConditionExpression: '#state = :running',
    ExpressionAttributeNames: { '#state': 'state' },
    ExpressionAttributeValues: { ':running': 'running', ':now': nowIso() },
  });
}

/**
 * running|queued → a final state, announced on the operations topic (a notice that fails to go out is
 * logged, not fatal: the state is what counts). False if the operation had already finished.
 */
export async function finishOperation(
  table: OperationsTable & { operationRetentionDays?: number },
  id: string,
  state: Exclude<OperationState, 'queued' | 'running'>,
  error?: string,
  result?: Record<string, unknown>,
  /** Only if nothing touched the operation since this `updatedAt` (expiring a stalled one). */
  unchangedSince?: string,
): Promise<boolean> {
  const retention = (table.operationRetentionDays ?? 30) * DAY_SECONDS;
  let finished: Operation;
  try {
    const out = await dynamodb().send(
      new UpdateCommand({
        TableName: table.operationsTable,
        Key: operationKeys.operation(id),
        UpdateExpression: `SET #state = :state, updatedAt = :now, expiresAt = :expires${error ? ', #error = :error' : ''}${result ? ', #result = :result' : ''}`,
        ConditionExpression: `#state IN (:queued, :running)${unchangedSince ? ' AND updatedAt = :since' : ''}`,
        ExpressionAttributeNames: {
          '#state': 'state',
          ...(error ? { '#error': 'error' } : {}),
          ...(result ? { '#result': 'result' } : {}),
        },
        ExpressionAttributeValues: {
          ':state': state,
          ':queued': 'queued',
          ':running': 'running',
          ':now': nowIso(),
          ...(unchangedSince ? { ':since': unchangedSince } : {}),
          ':expires': Math.floor(Date.now() / 1000) + retention,
          ...(error ? { ':error': error } : {}),
          ...(result ? { ':result': result } : {}),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    finished = toOperation(out.Attributes ?? {});
  } catch (caught) {
    if (isConditionFailed(caught)) return false;
    throw caught;
  }
  if (table.operationsTopicArn) await announceFinished(table.operationsTopicArn, finished);
  return true;
}

/** One notice per finished operation; subscribers can filter on the `kind` and `state` attributes. */
async function announceFinished(topicArn: string, op: Operation): Promise<void> {
  try {
    await sns().send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: `offsite: ${op.kind} operation ${op.state}`.slice(0, 100),
        Message: JSON.stringify({
          operationId: op.id,
          kind: op.kind,
          state: op.state,
          source: op.source,
          createdAt: op.createdAt,
          finishedAt: op.updatedAt,
          total: op.total,
          done: op.done,
          failed: op.failed,
          ...(op.error ? { error: op.error } : {}),
        }),
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: op.kind },
          state: { DataType: 'String', StringValue: op.state },
        },
      }),
    );
  } catch (error) {
    logger.warn('the notice of a finished operation was not published', { operationId: op.id, error });
  }
}

async function conditionalUpdate(
  table: OperationsTable,
  id: string,
  update: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName' | 'Key'>,
): Promise<boolean> {
  try {
    await dynamodb().send(
      new UpdateCommand({ TableName: table.operationsTable, Key: operationKeys.operation(id), ...update }),
    );
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}

function toOperation(item: Record<string, unknown>): Operation {
  const { pk: _pk, sk: _sk, countedItems: _seen, expiresAt: _exp, ...rest } = item;
  return parseOrThrow(operationSchema, rest, `operation item ${String(item.pk)}`);
}

const nowIso = () => new Date().toISOString();
