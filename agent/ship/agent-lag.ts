import type { Position } from '#agent/ship/agent-state.ts';
import type { SpoolEntry } from '#agent/ship/spool.ts';

export interface AgentLag {
  /** Seconds since the oldest redo entry still waiting was cut (0: nothing waits). */
  seconds: number;
  /** Redo bytes cut but not announced, plus bytes the follower saw in the live file but has not cut yet. */
  bytes: number;
}

/**
 * How far shipping is behind the live log. Times are the agent's own clock (when a segment was cut, at most
 * `segment.minIntervalSeconds` after its first record once caught up, `segment.maxAgeSeconds` while a backlog
 * is read), not the mail server's, which may be skewed.
 */
export function agentLag(
  entries: readonly SpoolEntry[],
  cursor: Position | null,
  live: Position | null,
  now: number,
): AgentLag {
  let oldest: number | undefined;
  let bytes = 0;
  for (const e of entries) {
    if (e.kind === 'ldap' || e.kind === 'scan' || e.kind === 'pack') continue;
    const t = Date.parse(e.spooledAt);
    if (oldest === undefined || t < oldest) oldest = t;
    if (e.kind === 'segment') bytes += e.size;
  }
  if (cursor && live && cursor.sequence === live.sequence) bytes += Math.max(0, live.offset - cursor.offset);
  return { seconds: oldest === undefined ? 0 : Math.max(0, Math.round((now - oldest) / 1000)), bytes };
}
