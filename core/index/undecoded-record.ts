/**
 * A redo record indexing skipped (an op code no known release writes, or data that does not read), or one
 * whose result it cannot know: either makes its mailbox uncertain until a scan restates it.
 */
export interface UndecodedRecord {
  offset: number;
  end: number;
  op: string;
  /** The record's format version, `1.42`. */
  version: string;
  /** −1: the record names every mailbox. */
  mailboxId: number;
  reason: string;
  /** The record's timestamp (ms). */
  time: number;
  /** Absent: the record did not decode. `result-not-recorded`: it did, but does not say what the server did. */
  cause?: 'result-not-recorded';
}

/** Undecoded records counted per op and record version (`Unknown(200)@1.42`). */
export function countByOp(records: readonly { op: string; version: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of records) counts[`${r.op}@${r.version}`] = (counts[`${r.op}@${r.version}`] ?? 0) + 1;
  return counts;
}
