import { controlClientFrom, regionFrom } from '#cli/cli-clients.ts';
import type { CommandInput } from '#cli/command-spec.ts';
import { describeOperation, operationIdArg, waitForOperation } from '#cli/operation-view.ts';
import type { OPS_OPTIONS, OpsCommand } from '#cli/specs/ops-group.ts';
import { OffsiteError } from '#core/errors.ts';
import {
  isFinished,
  OPERATION_KINDS,
  OPERATION_STATES,
  type Operation,
  type OperationKind,
  type OperationState,
} from '#core/operation.ts';

/** `offsite ops …`: the operation queue over the control API; returns the exit code. */
export async function opsCommand(
  command: OpsCommand,
  { values, positionals, write, env }: CommandInput<typeof OPS_OPTIONS>,
): Promise<number> {
  const kind = values.kind === undefined ? undefined : kindOf(values.kind);
  const client = await controlClientFrom(values.url, regionFrom(values.region, env), env);
  const arg = positionals[0] ?? '';
  const show = (body: unknown, human: string[]) =>
    write(values.json ? `${JSON.stringify(body, null, 2)}\n` : `${human.join('\n')}\n`);
  const list = async (states: readonly OperationState[]) => {
    const found: Operation[] = [];
    for (const state of states)
      found.push(...(await client.call('operations', {}, { query: { state } })).operations);
    return found
      .filter((op) => kind === undefined || op.kind === kind)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  };

  switch (command) {
    case 'list': {
      const states =
        values.state === undefined
          ? (['queued', 'running'] as const)
          : values.state === 'all'
            ? OPERATION_STATES
            : [stateOf(values.state)];
      const ops = await list(states);
      show(
        { operations: ops },
        ops.length === 0
          ? [`no ${values.state ?? 'queued or running'} operations`]
          : ops.flatMap(describeOperation),
      );
      return 0;
    }
    case 'show': {
      const op = await client.call('operation', { operationId: operationIdArg(arg) });
      show(op, describeOperation(op));
      return 0;
    }
    case 'monitor': {
      const op = await waitForOperation(client, operationIdArg(arg), values.json);
      show(op, describeOperation(op));
      return op.state === 'succeeded' ? 0 : 1;
    }
    case 'start': {
      let params: unknown = {};
      if (values.params !== undefined) {
        try {
          params = JSON.parse(values.params);
        } catch (error) {
          throw new OffsiteError(`--params is not JSON: ${(error as Error).message}`, { cause: error });
        }
      }
      const created = await client.call('createOperation', {}, { body: { kind: kindOf(arg), params } });
      const op = values.wait ? await waitForOperation(client, created.id, values.json) : created;
      show(op, describeOperation(op));
      return !values.wait || op.state === 'succeeded' ? 0 : 1;
    }
    case 'stop': {
      const op = await client.call('stopOperation', { operationId: operationIdArg(arg) });
      show(op, describeOperation(op));
      return 0;
    }
    default: {
      // stop-all
      const stopped: Operation[] = [];
      for (const op of await list(['queued', 'running'])) {
        const after = await client.call('stopOperation', { operationId: op.id });
        if (isFinished(after.state)) stopped.push(after);
      }
      show({ stopped: stopped.map((op) => op.id) }, [
        `stopped ${stopped.length} operation(s)`,
        ...stopped.map((op) => `  ${op.kind} ${op.id}`),
      ]);
      return 0;
    }
  }
}

function kindOf(value: string): OperationKind {
  if (!(value in OPERATION_KINDS))
    throw new OffsiteError(`unknown operation kind ${value}: ${Object.keys(OPERATION_KINDS).join(', ')}`);
  return value as OperationKind;
}

function stateOf(value: string): OperationState {
  if (!(OPERATION_STATES as readonly string[]).includes(value))
    throw new OffsiteError(`unknown state ${value}: ${OPERATION_STATES.join(', ')} or all`);
  return value as OperationState;
}
