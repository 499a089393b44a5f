/**
 * Named instants between two durable steps of shipping. A test (never a configuration file) may ask the
 * agent to die by SIGKILL the n-th time it reaches one (`OFFSITE_AGENT_CRASH_AT=uploaded:3`, read once by
 * the CLI), so a crash lands exactly there on any machine however loaded, instead of where a timer hits.
 */
export const CRASH_POINTS = [
  /** A segment is compressed into its scratch file in the spool directory, not yet spooled. */
  'encoded',
  /** A segment or dump is spooled durably, not uploaded. */
  'spooled',
  /** Uploaded and marked so in the spool, not announced. */
  'uploaded',
  /** Announced on the queue, the announcement not yet recorded in the state. */
  'sent',
  /** Recorded in the state, not yet removed from the spool. */
  'recorded',
  /** A state or spool file's new content is written and synced under its temporary name, not renamed. */
  'durable-write',
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

let armed: { point: CrashPoint; remaining: number } | undefined;

/** Arms a crash point from `<point>:<n>`; throws on anything else so a typo cannot pass as "no crash". */
export function armCrashPoint(spec: string): void {
  const match = /^([a-z-]+):([1-9]\d*)$/.exec(spec);
  const point = CRASH_POINTS.find((p) => p === match?.[1]);
  if (!match || !point) {
    throw new Error(
      `crash point ${JSON.stringify(spec)} is not <point>:<n> with point one of ${CRASH_POINTS.join(', ')}`,
    );
  }
  armed = { point, remaining: Number(match[2]) };
}

/** Dies at once (no clean-up, like kill -9) when the armed point is reached for the n-th time. */
export function crashPoint(point: CrashPoint): void {
  if (armed?.point !== point || --armed.remaining > 0) return;
  process.stderr.write(`crash point ${point} reached: killing the agent\n`);
  process.kill(process.pid, 'SIGKILL');
}
