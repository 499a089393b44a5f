// One Lambda execution environment: loads the bundled handler once (the cold start) and runs one invocation
// at a time, on request of the local runtime over IPC. Started as: node lambda-host.ts <codeDir> <file.export>
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

interface InvokeMessage {
  readonly type: 'invoke';
  readonly id: string;
  readonly event: unknown;
  readonly deadline: number;
  readonly context: { functionName: string; invokedFunctionArn: string; memoryLimitInMB: string };
}

const [codeDir, handlerSpec] = process.argv.slice(2);
if (!codeDir || !handlerSpec || !process.send) {
  process.stderr.write(
    'lambda-host: usage: node lambda-host.ts <codeDir> <file.export> (with an IPC channel)\n',
  );
  process.exit(2);
}
const send = process.send.bind(process);
const dot = handlerSpec.lastIndexOf('.');
const file = handlerSpec.slice(0, dot);
const exportName = handlerSpec.slice(dot + 1);
const candidate = ['.mjs', '.js', '.cjs']
  .map((ext) => path.join(codeDir, `${file}${ext}`))
  .find((p) => existsSync(p));
if (!candidate) {
  process.stderr.write(`lambda-host: no ${file}.mjs/.js/.cjs in ${codeDir}\n`);
  process.exit(2);
}
const module = (await import(pathToFileURL(candidate).href)) as Record<string, unknown>;
const handler = module[exportName];
if (typeof handler !== 'function') {
  process.stderr.write(`lambda-host: ${candidate} does not export a function "${exportName}"\n`);
  process.exit(2);
}

// The runtime stops us by closing the channel; never outlive it.
process.on('disconnect', () => process.exit(0));
process.on('message', (message: InvokeMessage) => {
  if (message.type !== 'invoke') return;
  void invoke(message);
});
send({ type: 'ready' });

async function invoke(message: InvokeMessage): Promise<void> {
  const context = {
    ...message.context,
    functionVersion: '$LATEST',
    awsRequestId: message.id,
    logGroupName: `/aws/lambda/${message.context.functionName}`,
    logStreamName: `local/${process.pid}`,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  try {
    const result = await (handler as (event: unknown, context: unknown) => Promise<unknown>)(
      message.event,
      context,
    );
    send({ type: 'result', id: message.id, result: result === undefined ? null : result });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    send({ type: 'error', id: message.id, errorType: e.name, errorMessage: e.message, stack: e.stack });
  }
}
