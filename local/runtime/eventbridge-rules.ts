import {
  type EventBridgeClient,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import type { LocalFunction, LocalScheduleRule } from '#local/template/local-resources.ts';

/** Creates the template's schedule rules in an EventBridge emulator, targets pointing at the local functions. */
export async function putRules(
  events: EventBridgeClient,
  rules: readonly LocalScheduleRule[],
  functions: ReadonlyMap<string, LocalFunction>,
): Promise<void> {
  for (const rule of rules) {
    await events.send(
      new PutRuleCommand({
        Name: rule.name,
        ScheduleExpression: rule.scheduleExpression,
        State: rule.enabled ? 'ENABLED' : 'DISABLED',
      }),
    );
    await events.send(
      new PutTargetsCommand({
        Rule: rule.name,
        Targets: rule.targets.map((target, i) => ({
          Id: `target${i}`,
          Arn: functions.get(target.functionName)?.arn ?? target.functionName,
          RetryPolicy: { MaximumRetryAttempts: target.retryAttempts },
        })),
      }),
    );
  }
}

/**
 * Reads the schedule rules back from EventBridge, so the scheduler runs what EventBridge holds (a rule changed
 * through the API is what fires), not what the template said at start.
 */
export async function readRules(
  events: EventBridgeClient,
  functions: ReadonlyMap<string, LocalFunction>,
  region: string,
  account: string,
): Promise<LocalScheduleRule[]> {
  const byArn = new Map([...functions.values()].map((fn) => [fn.arn, fn.name]));
  const rules: LocalScheduleRule[] = [];
  let token: string | undefined;
  do {
    const page = await events.send(new ListRulesCommand({ NextToken: token }));
    for (const rule of page.Rules ?? []) {
      if (!rule.Name || !rule.ScheduleExpression) continue;
      const targets = await events.send(new ListTargetsByRuleCommand({ Rule: rule.Name }));
      rules.push({
        logicalId: rule.Name,
        name: rule.Name,
        arn: rule.Arn ?? `arn:aws:events:${region}:${account}:rule/${rule.Name}`,
        scheduleExpression: rule.ScheduleExpression,
        enabled: rule.State === 'ENABLED',
        targets: (targets.Targets ?? []).flatMap((t) => {
          const name = t.Arn ? byArn.get(t.Arn) : undefined;
          return name
            ? [{ functionName: name, retryAttempts: t.RetryPolicy?.MaximumRetryAttempts ?? 185 }]
            : [];
        }),
      });
    }
    token = page.NextToken;
  } while (token);
  return rules;
}
