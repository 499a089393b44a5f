import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import { InvocationError } from '#local/errors.ts';
import type { LocalFunction } from '#local/template/local-resources.ts';

const HOST = new URL('./lambda-host.ts', import.meta.url).pathname;

export interface InvokeResult {
  readonly requestId: string;
  readonly result: unknown;
}

interface Host {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  busy: boolean;
}

/**
 * A function's execution environments: each a child process holding the bundled handler, one invocation at a
 * time, reused while warm (module state survives, as on Lambda). A time-out kills the environment.
 */
export class LambdaFunction {
  readonly definition: LocalFunction;
  private readonly hosts = new Set<Host>();
  private readonly waiters: (() => void)[] = [];
  private readonly env: NodeJS.ProcessEnv;
  private readonly log: Writable;
  private readonly maxInstances: number;
  private closed = false;
  invocations = 0;
  coldStarts = 0;

  constructor(
    definition: LocalFunction,
    options: { baseEnv: NodeJS.ProcessEnv; log: Writable; maxInstances: number },
  ) {
    this.definition = definition;
    this.env = {
      ...options.baseEnv,
      ...definition.environment,
      AWS_LAMBDA_FUNCTION_NAME: definition.name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(definition.memoryMb),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    };
    this.log = options.log;
    this.maxInstances = options.maxInstances;
  }

  async invoke(event: unknown): Promise<InvokeResult> {
    if (this.closed) throw new InvocationError(`${this.definition.name}: the local runtime is stopping`);
    const host = await this.acquire();
    const requestId = randomUUID();
    const timeoutMs = this.definition.timeoutSeconds * 1000;
    this.invocations++;
    try {
      await host.ready;
      const result = await new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(() => {
          cleanup();
          host.child.kill('SIGKILL');
          reject(
            new InvocationError(
              `${this.definition.name}: Task timed out after ${this.definition.timeoutSeconds} seconds`,
            ),
          );
        }, timeoutMs);
        const onMessage = (message: {
          type: string;
          id?: string;
          result?: unknown;
          errorType?: string;
          errorMessage?: string;
        }) => {
          if (message.id !== requestId) return;
          cleanup();
          if (message.type === 'result') resolve(message.result);
          else
            reject(
              new InvocationError(`${this.definition.name}: ${message.errorType}: ${message.errorMessage}`),
            );
        };
        const onExit = (code: number | null, signal: string | null) => {
          cleanup();
          reject(
            new InvocationError(
              `${this.definition.name}: execution environment exited (${signal ?? `code ${code}`})`,
            ),
          );
        };
        const cleanup = () => {
          clearTimeout(timer);
          host.child.off('message', onMessage);
          host.child.off('exit', onExit);
        };
        host.child.on('message', onMessage);
        host.child.once('exit', onExit);
        host.child.send({
          type: 'invoke',
          id: requestId,
          event,
          deadline: Date.now() + timeoutMs,
          context: {
            functionName: this.definition.name,
            invokedFunctionArn: this.definition.arn,
            memoryLimitInMB: String(this.definition.memoryMb),
          },
        });
      });
      return { requestId, result };
    } finally {
      this.release(host);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      [...this.hosts].map(
        (host) =>
          new Promise<void>((resolve) => {
            if (host.child.exitCode !== null || host.child.signalCode !== null) return resolve();
            host.child.once('exit', () => resolve());
            host.child.disconnect?.();
            setTimeout(() => host.child.kill('SIGKILL'), 2000).unref();
          }),
      ),
    );
    this.hosts.clear();
  }

  private async acquire(): Promise<Host> {
    for (;;) {
      const idle = [...this.hosts].find(
        (h) => !h.busy && h.child.exitCode === null && h.child.signalCode === null,
      );
      if (idle) {
        idle.busy = true;
        return idle;
      }
      if (this.hosts.size < this.maxInstances) {
        const host = this.spawn();
        host.busy = true;
        return host;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private release(host: Host): void {
    host.busy = false;
    if (host.child.exitCode !== null || host.child.signalCode !== null) this.hosts.delete(host);
    this.waiters.shift()?.();
  }

  private spawn(): Host {
    this.coldStarts++;
    const child = fork(HOST, [this.definition.codeDir, this.definition.handler], {
      env: this.env,
      execArgv: ['--enable-source-maps'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    const ready = new Promise<void>((resolve, reject) => {
      const onMessage = (message: { type?: string }) => {
        if (message.type !== 'ready') return;
        child.off('message', onMessage);
        resolve();
      };
      child.on('message', onMessage);
      child.once('exit', (code) =>
        reject(
          new InvocationError(
            `${this.definition.name}: execution environment failed to start (exit ${code}); see its log`,
          ),
        ),
      );
    });
    ready.catch(() => undefined);
    const host: Host = { child, ready, busy: false };
    child.once('exit', () => {
      if (!host.busy) this.hosts.delete(host);
    });
    this.hosts.add(host);
    return host;
  }
}
