import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Operation, OperationKind } from '#core/operation.ts';
import { sqs } from '#functions/clients/sqs.ts';
import { type OperationsTable, putOperation } from '#functions/operations/operations-store.ts';

export interface CreateOperationTarget extends OperationsTable {
  readonly planQueueUrl: string;
}

/** Records an operation as queued, then asks the planner for it. */
export async function createOperation(
  target: CreateOperationTarget,
  request: {
    kind: OperationKind;
    params: Record<string, unknown>;
    source: Operation['source'];
    requestedBy?: string;
    now?: Date;
  },
): Promise<Operation> {
  const op = await putOperation(target, request);
  await sqs().send(
    new SendMessageCommand({
      QueueUrl: target.planQueueUrl,
      MessageBody: JSON.stringify({ operationId: op.id }),
    }),
  );
  return op;
}
