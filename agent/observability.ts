/** The agent's log: one JSON object per line on stderr (journald keeps it), so stdout stays for --json output. */
export interface AgentLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function createAgentLog(
  write: (line: string) => void = (line) => process.stderr.write(line),
  quiet = false,
): AgentLog {
  const emit =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      if (quiet && level === 'INFO') return;
      write(
        `${JSON.stringify({ time: new Date().toISOString(), level, service: 'offsite-agent', message, ...fields })}\n`,
      );
    };
  return { info: emit('INFO'), warn: emit('WARN'), error: emit('ERROR') };
}

/** A log that keeps lines in memory (tests). */
export function memoryLog(): AgentLog & { lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  const push = (level: string) => (message: string) => {
    lines.push({ level, message });
  };
  return { lines, info: push('INFO'), warn: push('WARN'), error: push('ERROR') };
}
