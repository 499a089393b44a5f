import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentConfig } from '#agent/config/agent-config.ts';
import type { ControlClient } from '#agent/control-client.ts';
import type { AgentLog } from '#agent/observability.ts';
import { type AgentStatus, readAgentStatus } from '#agent/ship/agent-status.ts';
import type { AgentReport } from '#core/operations/agent-reports.ts';

/** A report is sent at least this often even when nothing changed: the agent's sign of life. */
export const HEARTBEAT_MS = 5 * 60_000;

export interface ReportDeps {
  config: AgentConfig;
  control: ControlClient;
  log: AgentLog;
  /** The agent's status now (tests give their own). */
  status?: () => Promise<AgentStatus>;
  agentVersion?: string;
}

/** What the agent API is told, from what `agent status` shows. */
export function reportOf(status: AgentStatus, agentVersion?: string): AgentReport {
  const a = status.announced;
  return {
    announced: a
      ? {
          sequence: a.sequence,
          offset: a.offset,
          at: a.at,
          ...(a.lastOpTime !== undefined ? { lastOpTime: a.lastOpTime } : {}),
        }
      : null,
    live: status.live,
    lagSeconds: status.lagSeconds,
    lagBytes: status.lagBytes,
    spool: { entries: status.spool.entries, bytes: status.spool.bytes },
    lastError: status.lastError
      ? { at: status.lastError.at, message: status.lastError.message.slice(0, 1000) }
      : null,
    gaps: status.gaps.length,
    ...(agentVersion !== undefined ? { agentVersion } : {}),
  };
}

/**
 * Tells the agent API what this agent has shipped, every `control.reportSeconds` when it changed and every
 * five minutes regardless, and once more when stopping: `offsite status` answers "is my backup current?" from
 * it. A control API that is away never holds shipping up; it is said once and tried again.
 */
export async function reportStatus(deps: ReportDeps, signal: AbortSignal): Promise<void> {
  const { config, control, log } = deps;
  const everyMs = (config.control?.reportSeconds ?? 10) * 1000;
  const status = deps.status ?? (() => readAgentStatus(config));
  let sent: string | undefined;
  let sentAt = 0;
  let warned = false;
  const send = async (force: boolean) => {
    const report = reportOf(await status(), deps.agentVersion);
    // Lag moves with the clock: a change is in what was shipped, seen, spooled or went wrong.
    const { lagSeconds: _s, ...compared } = report;
    const key = JSON.stringify(compared);
    if (!force && key === sent && Date.now() - sentAt < HEARTBEAT_MS) return;
    await control.call('agentReport', { serverId: config.serverId }, { body: report });
    sent = key;
    sentAt = Date.now();
    warned = false;
  };
  while (!signal.aborted) {
    try {
      await send(false);
    } catch (error) {
      if (!warned) log.warn('cannot report to the agent API; trying again', { error: String(error) });
      warned = true;
    }
    await sleep(everyMs, undefined, { signal }).catch(() => undefined);
  }
  // The last word before stopping: where shipping ended.
  await send(true).catch((error: unknown) =>
    log.warn('could not report the final position to the agent API', { error: String(error) }),
  );
}
