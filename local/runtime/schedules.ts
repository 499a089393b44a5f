import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';
import { nextFiring, parseSchedule } from '#core/schedule-expression.ts';
import { LocalCloudError } from '#local/errors.ts';
import type { Clock } from '#local/runtime/clock.ts';
import type { LambdaFunction } from '#local/runtime/lambda-function.ts';
import type { LocalScheduleRule } from '#local/template/local-resources.ts';

export interface Firing {
  readonly rule: string;
  readonly time: string;
  readonly functionName: string;
  readonly ok: boolean;
  readonly error?: string;
}

/**
 * Fires each enabled rule at its schedule with the plain Scheduled Event (no custom input), retrying a failed
 * asynchronous invocation up to the target's retry policy (capped at 2 locally).
 */
export class ScheduleRunner {
  readonly firings: Firing[] = [];
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  private readonly rules: readonly LocalScheduleRule[];
  private readonly functions: ReadonlyMap<string, LambdaFunction>;
  private readonly clock: Clock;
  private readonly options: { region: string; account: string; onFiring?: (firing: Firing) => void };

  constructor(
    rules: readonly LocalScheduleRule[],
    functions: ReadonlyMap<string, LambdaFunction>,
    clock: Clock,
    options: { region: string; account: string; onFiring?: (firing: Firing) => void },
  ) {
    this.rules = rules;
    this.functions = functions;
    this.clock = clock;
    this.options = options;
  }

  start(): void {
    const origin = new Date(this.clock.now());
    this.loops = this.rules.filter((r) => r.enabled).map((rule) => this.loop(rule, origin));
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.loops);
  }

  /** Fires the rule of that name (say `Offsite-smartscan`) as its schedule would, at `at`. */
  fireNamed(name: string, at = new Date(this.clock.now())): Promise<Firing[]> {
    const rule = this.rules.find((r) => r.name === name);
    if (!rule)
      throw new LocalCloudError(
        `no schedule rule ${name}; there are ${this.rules.map((r) => r.name).join(', ')}`,
      );
    return this.fire(rule, at);
  }

  /** Fires a rule now, as `offsite local fire` does and as the schedule would. */
  async fire(rule: LocalScheduleRule, at: Date): Promise<Firing[]> {
    const event: ScheduledEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: this.options.account,
      time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.options.region,
      resources: [rule.arn],
      detail: {},
    };
    const results: Firing[] = [];
    for (const target of rule.targets) {
      const fn = this.functions.get(target.functionName);
      let firing: Firing = {
        rule: rule.name,
        time: event.time,
        functionName: target.functionName,
        ok: false,
        error: 'no such function',
      };
      for (let attempt = 0; fn && attempt <= Math.min(target.retryAttempts, 2); attempt++) {
        try {
          await fn.invoke(event);
          firing = { rule: rule.name, time: event.time, functionName: target.functionName, ok: true };
          break;
        } catch (error) {
          firing = {
            rule: rule.name,
            time: event.time,
            functionName: target.functionName,
            ok: false,
            error: String(error),
          };
        }
      }
      this.firings.push(firing);
      this.options.onFiring?.(firing);
      results.push(firing);
    }
    return results;
  }

  private async loop(rule: LocalScheduleRule, origin: Date): Promise<void> {
    const schedule = parseSchedule(rule.scheduleExpression);
    let after = origin;
    while (!this.abort.signal.aborted) {
      const next = nextFiring(schedule, after, origin);
      if (!next) return;
      await this.clock.sleepUntil(next.getTime(), this.abort.signal);
      if (this.abort.signal.aborted) return;
      if (this.clock.now() < next.getTime()) continue;
      after = next;
      await this.fire(rule, next);
    }
  }
}
