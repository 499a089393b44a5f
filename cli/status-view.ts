import type { ServerStatus } from '#core/control-api.ts';

/** 1536 → "1.5 KiB". */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** Seconds as "45 s", "12 min", "3.5 h", "2.1 d". */
export function duration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds * 10) / 10} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}

const position = (p: { sequence: string; offset: number } | null) => (p ? `${p.sequence}:${p.offset}` : '–');

/** How far behind, in words: null parts are said to be unknown. */
export function behindText(s: ServerStatus): string {
  const { bytes: b, seconds } = s.behind;
  if (b === 0) return 'current';
  if (b === null && seconds === null) return s.agent ? 'unknown' : 'no agent report';
  return [b === null ? '? bytes' : bytes(b), seconds === null ? '? s' : duration(seconds)].join(', ');
}

/** One row of `offsite status`. */
export function statusRow(s: ServerStatus, now: number): string[] {
  const contact = s.agent
    ? `${duration(Math.max(0, (now - Date.parse(s.agent.receivedAt)) / 1000))} ago`
    : 'never';
  return [
    s.serverId,
    contact,
    s.agent?.announced
      ? `${position(s.agent.announced)} ${s.agent.announced.lastOpTime ?? s.agent.announced.at}`
      : '–',
    s.index.appliedTo ? `${position(s.index.appliedTo)} ${s.index.appliedOpTime ?? ''}`.trim() : '–',
    behindText(s),
    `${s.index.state}${s.index.waitingSegments > 0 ? ` (${s.index.waitingSegments} catalogued to index)` : ''}`,
  ];
}

export const STATUS_HEAD = [
  'SERVER',
  'AGENT CONTACT',
  'SHIPPED UP TO',
  'APPLIED UP TO',
  'BEHIND',
  'INDEXING',
];

/** The findings a status holds: what makes `offsite status` exit 1. */
export function statusFindings(s: ServerStatus, now: number, maxLagSeconds?: number): string[] {
  const found: string[] = [];
  if (s.index.state === 'gap' || s.index.state === 'quarantined')
    found.push(
      `${s.serverId}: indexing is held (${s.index.state}${s.index.reason ? `: ${s.index.reason}` : ''})`,
    );
  if ((s.agent?.gaps ?? 0) > 0)
    found.push(`${s.serverId}: the agent lost ${s.agent?.gaps} redo range(s) (agent status)`);
  if (maxLagSeconds !== undefined) {
    if (!s.agent) found.push(`${s.serverId}: no agent report`);
    else {
      const silent = (now - Date.parse(s.agent.receivedAt)) / 1000;
      if (silent > maxLagSeconds) found.push(`${s.serverId}: no word from the agent for ${duration(silent)}`);
    }
    if (s.behind.seconds !== null && s.behind.seconds > maxLagSeconds)
      found.push(`${s.serverId}: the index is ${duration(s.behind.seconds)} behind what was shipped`);
  }
  return found;
}
