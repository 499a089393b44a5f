import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentConfig } from '#agent/config/agent-config.ts';
import { agentLag } from '#agent/ship/agent-lag.ts';
import { AgentState, type AgentStateData } from '#agent/ship/agent-state.ts';
import type { SpoolEntry } from '#agent/ship/spool.ts';

export interface AgentStatus {
  serverId: string;
  /** Seconds since the oldest change not yet announced was written (0: nothing waits). */
  lagSeconds: number;
  /** Redo bytes read or seen but not yet announced. */
  lagBytes: number;
  cursor: AgentStateData['cursor'];
  announced: AgentStateData['announced'];
  live: AgentStateData['live'];
  spool: { entries: number; bytes: number; maxBytes: number; percent: number };
  lastLdapDump: AgentStateData['ldap'];
  lastLdapError: AgentStateData['lastLdapError'];
  lastError: AgentStateData['lastError'];
  gaps: AgentStateData['gaps'];
}

/** What the agent has shipped and what waits, read without disturbing a running agent. */
export async function readAgentStatus(config: AgentConfig, now = Date.now()): Promise<AgentStatus> {
  const state = await AgentState.peek(config.stateDir);
  const entries = await spoolEntries(join(config.stateDir, 'spool'));
  const cursor = state?.cursor ?? null;
  const live = state?.live ?? null;
  const lag = agentLag(entries, cursor, live, now);
  const bytes = entries.reduce((n, e) => n + e.storedSize, 0);
  const maxBytes = config.spool.maxMiB * 1024 * 1024;
  return {
    serverId: config.serverId,
    lagSeconds: lag.seconds,
    lagBytes: lag.bytes,
    cursor,
    announced: state?.announced ?? null,
    live,
    spool: { entries: entries.length, bytes, maxBytes, percent: Math.round((bytes / maxBytes) * 1000) / 10 },
    lastLdapDump: state?.ldap ?? null,
    lastLdapError: state?.lastLdapError ?? null,
    lastError: state?.lastError ?? null,
    gaps: state?.gaps ?? [],
  };
}

async function spoolEntries(dir: string): Promise<SpoolEntry[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const entries: SpoolEntry[] = [];
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    // An entry may be removed while we look: skip what vanished.
    const text = await readFile(join(dir, name), 'utf8').catch(() => undefined);
    if (text) entries.push(JSON.parse(text) as SpoolEntry);
  }
  return entries;
}

/** Human-readable status lines. */
export function formatAgentStatus(s: AgentStatus): string[] {
  const pos = (p: { sequence: string; offset: number } | null) =>
    p ? `sequence ${p.sequence} byte ${p.offset}` : '–';
  return [
    `server          ${s.serverId}`,
    `lag             ${s.lagSeconds} s, ${s.lagBytes} bytes`,
    `live log        ${pos(s.live)}${s.live ? ` (seen ${s.live.at})` : ''}`,
    `read up to      ${pos(s.cursor)}`,
    `announced up to ${pos(s.announced)}${s.announced ? ` at ${s.announced.at}` : ''}`,
    `last segment    ${s.announced?.key ?? '–'}`,
    `spool           ${s.spool.entries} entries, ${s.spool.bytes} of ${s.spool.maxBytes} bytes (${s.spool.percent}%)`,
    `last LDAP dump  ${s.lastLdapDump ? `${s.lastLdapDump.lastDumpAt}, ${s.lastLdapDump.entries} entries` : '–'}`,
    `LDAP error      ${s.lastLdapError ? `${s.lastLdapError.at}: ${s.lastLdapError.message}` : '–'}`,
    `last error      ${s.lastError ? `${s.lastError.at}: ${s.lastError.message}` : '–'}`,
    `gaps            ${s.gaps.length === 0 ? 'none' : s.gaps.map((g) => `sequences ${g.fromSequence}–${g.toSequence} (${g.detectedAt})`).join('; ')}`,
  ];
}
