import { type CloudWatchClient, PutMetricDataCommand, StandardUnit } from '@aws-sdk/client-cloudwatch';
import type { AgentLog } from '#agent/observability.ts';
import type { AgentLag } from '#agent/ship/agent-lag.ts';

/** The namespace the stack's lag alarm watches (and the only one the agent's policy may write). */
export const METRICS_NAMESPACE = 'Offsite';

/**
 * Publishes the lag every `intervalMs` until `signal` aborts: `AgentLagSeconds` and `AgentLagBytes`, once
 * without dimensions (the stack's alarm, over all agents) and once per `ServerId`. A failure is logged once
 * and retried at the next interval; it never stops shipping.
 */
export async function reportLag(
  deps: { cloudwatch: CloudWatchClient; serverId: string; log: AgentLog; lag: () => AgentLag },
  intervalMs: number,
  signal: AbortSignal,
): Promise<void> {
  let failing = false;
  while (!signal.aborted) {
    const lag = deps.lag();
    try {
      await deps.cloudwatch.send(new PutMetricDataCommand(lagMetricData(deps.serverId, lag, new Date())), {
        abortSignal: signal,
      });
      if (failing) deps.log.info('lag metrics published again');
      failing = false;
    } catch (error) {
      if (signal.aborted) return;
      if (!failing) {
        deps.log.warn('cannot publish lag metrics to CloudWatch; the lag alarm will fire', {
          error: (error as Error).message || (error as Error).name,
        });
      }
      failing = true;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, intervalMs);
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  }
}

export function lagMetricData(serverId: string, lag: AgentLag, at: Date) {
  const dimensionSets = [[], [{ Name: 'ServerId', Value: serverId }]];
  return {
    Namespace: METRICS_NAMESPACE,
    MetricData: dimensionSets.flatMap((Dimensions) => [
      {
        MetricName: 'AgentLagSeconds',
        Dimensions,
        Timestamp: at,
        Value: lag.seconds,
        Unit: StandardUnit.Seconds,
      },
      { MetricName: 'AgentLagBytes', Dimensions, Timestamp: at, Value: lag.bytes, Unit: StandardUnit.Bytes },
    ]),
  };
}
