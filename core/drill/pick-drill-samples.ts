import { createHash } from 'node:crypto';

/** A mailbox a drill may restore: live now, backed up since `since` (epoch ms). */
export interface DrillCandidate {
  readonly serverId: string;
  readonly mailboxId: number;
  readonly name: string;
  readonly since: number;
}

export interface DrillSample extends DrillCandidate {
  /** The instant it is restored at (epoch ms). */
  readonly at: number;
}

const DAY_MS = 86_400_000;

/**
 * `count` mailboxes at random (each at most once), each at an instant drawn uniformly from the part of the
 * last `days` days in which the index holds it. Candidates are sorted first, so the same seed and the same
 * index give the same drill whatever order the index listed them in.
 */
export function pickDrillSamples(
  candidates: readonly DrillCandidate[],
  count: number,
  window: { readonly now: number; readonly days: number },
  random: () => number,
): DrillSample[] {
  const pool = candidates
    .filter((c) => c.since < window.now)
    .sort((a, b) => a.serverId.localeCompare(b.serverId) || a.mailboxId - b.mailboxId);
  const picked: DrillSample[] = [];
  // A partial Fisher–Yates shuffle: the first `count` places are a uniform sample without repetition.
  for (let i = 0; i < pool.length && picked.length < count; i++) {
    const j = i + Math.floor(random() * (pool.length - i));
    const chosen = pool[j] as DrillCandidate;
    pool[j] = pool[i] as DrillCandidate;
    pool[i] = chosen;
    // Strictly after the mailbox appeared in the backup, and before now.
    const from = Math.max(chosen.since + 1, window.now - window.days * DAY_MS);
    picked.push({ ...chosen, at: from + Math.floor(random() * Math.max(0, window.now - from)) });
  }
  return picked;
}

/** A 32-bit seed from a text (the operation id): a drill re-planned after a crash picks the same samples. */
export function seedOf(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}
