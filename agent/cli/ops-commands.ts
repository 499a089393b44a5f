import { parseArgs } from 'node:util';
import { controlClientFrom } from '#agent/cli/cli-clients.ts';
import { describeOperation, waitForOperation } from '#agent/cli/operation-view.ts';
import { OffsiteError } from '#core/errors.ts';
import {
  isFinished,
  OPERATION_KINDS,
  OPERATION_STATES,
  type Operation,
  type OperationKind,
  type OperationState,
} from '#core/operation.ts';

export const OPS_USAGE = `usage: offsite ops list [--state STATE|all] [--kind KIND]
       offsite ops show <operation>
       offsite ops monitor <operation>                   (live progress until it ends; exit 1 unless it succeeded)
       offsite ops start <kind> [--params JSON] [--wait]
       offsite ops stop <operation>
       offsite ops stop-all [--kind KIND]                (every queued or running one)
  every one takes --json, --url URL (or OFFSITE_CONTROL_URL), --region (or AWS_REGION)
  STATE: ${OPERATION_STATES.join(', ')} (default: queued and running); KIND: ${Object.keys(OPERATION_KINDS).join(', ')}`;

const OPTIONS = {
  json: { type: 'boolean', default: false },
  url: { type: 'string' },
  region: { type: 'string' },
  state: { type: 'string' },
  kind: { type: 'string' },
  params: { type: 'string' },
  wait: { type: 'boolean', default: false },
} as const;

const ALLOWED: Record<string, { flags: string[]; positionals: number }> = {
  list: { flags: ['state', 'kind'], positionals: 0 },
  show: { flags: [], positionals: 1 },
  monitor: { flags: [], positionals: 1 },
  start: { flags: ['params', 'wait'], positionals: 1 },
  stop: { flags: [], positionals: 1 },
  'stop-all': { flags: ['kind'], positionals: 0 },
};

/** `offsite ops …`: the operation queue over the control API; returns the exit code. */
export async function opsCommand(
  argv: string[],
  write: (text: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const [command, ...rest] = argv;
  const allowed = ALLOWED[command ?? ''];
  if (!command || !allowed)
    throw new OffsiteError(`unknown ops command ${command ?? '(none)'}\n${OPS_USAGE}`);
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: OPTIONS });
  for (const [name, value] of Object.entries(values)) {
    if (['json', 'url', 'region'].includes(name) || value === undefined || value === false) continue;
    if (!allowed.flags.includes(name))
      throw new OffsiteError(`--${name} does not apply to offsite ops ${command}\n${OPS_USAGE}`);
  }
  if (positionals.length !== allowed.positionals)
    throw new OffsiteError(
      `offsite ops ${command} takes ${allowed.positionals} argument(s), got ${positionals.length}\n${OPS_USAGE}`,
    );
  const kind = values.kind === undefined ? undefined : kindOf(values.kind);
  const client = await controlClientFrom(values.url, values.region ?? env.AWS_REGION ?? 'us-east-1', env);
  const arg = positionals[0] ?? '';
  const show = (body: unknown, human: string[]) =>
    write(values.json ? `${JSON.stringify(body, null, 2)}\n` : `${human.join('\n')}\n`);
  const list = async (states: readonly OperationState[]) => {
    const found: Operation[] = [];
    for (const state of states)
      found.push(
        ...(await client.request<{ operations: Operation[] }>('GET', `/operations?state=${state}`))
          .operations,
      );
    return found
      .filter((op) => kind === undefined || op.kind === kind)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  };
  const path = (id: string) => `/operations/${encodeURIComponent(operationId(id))}`;

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
      const op = await client.request<Operation>('GET', path(arg));
      show(op, describeOperation(op));
      return 0;
    }
    case 'monitor': {
      const op = await waitForOperation(client, operationId(arg), values.json);
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
      const created = await client.request<Operation>('POST', '/operations', { kind: kindOf(arg), params });
      const op = values.wait ? await waitForOperation(client, created.id, values.json) : created;
      show(op, describeOperation(op));
      return !values.wait || op.state === 'succeeded' ? 0 : 1;
    }
    case 'stop': {
      const op = await client.request<Operation>('POST', `${path(arg)}/stop`);
      show(op, describeOperation(op));
      return 0;
    }
    default: {
      // stop-all
      const stopped: Operation[] = [];
      for (const op of await list(['queued', 'running'])) {
        const after = await client.request<Operation>('POST', `${path(op.id)}/stop`);
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

function operationId(value: string): string {
  if (!/^[0-9a-f-]{36}$/.test(value)) throw new OffsiteError(`${value} is not an operation id (a UUID)`);
  return value;
}
