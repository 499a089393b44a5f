import { FILE_HEADER_SIZE } from '#core/redo/file-header.ts';

/** A place in a server's redo stream: everything before `offset` of file `sequence`. */
export interface StreamPosition {
  sequence: string;
  offset: number;
}

/**
 * Redo bytes from `from` to `to` (0 when `to` is not after `from`). Across files it needs where each file in
 * between ends (`fileEnds`: a sealed file's final size, else the end of its last catalogued segment); null when
 * one of them is unknown, rather than a guess.
 */
export function bytesBetween(
  from: StreamPosition,
  to: StreamPosition,
  fileEnds: ReadonlyMap<string, number>,
): number | null {
  const first = BigInt(from.sequence);
  const last = BigInt(to.sequence);
  if (last < first || (last === first && to.offset <= from.offset)) return 0;
  if (last === first) return to.offset - from.offset;
  const endOfFirst = fileEnds.get(from.sequence);
  if (endOfFirst === undefined) return null;
  let total = Math.max(0, endOfFirst - from.offset);
  for (let seq = first + 1n; seq < last; seq++) {
    const end = fileEnds.get(String(seq));
    if (end === undefined) return null;
    total += Math.max(0, end - FILE_HEADER_SIZE);
  }
  return total + Math.max(0, to.offset - FILE_HEADER_SIZE);
}

/**
 * How far the index is behind what the agent announced: in redo bytes, and in seconds between the last record
 * the agent shipped and the last commit the index applied. Null where a side is unknown.
 */
export function backupCurrency(input: {
  shipped: (StreamPosition & { lastOpTime?: string }) | null;
  applied: (StreamPosition & { lastCommitTime?: number }) | null;
  fileEnds: ReadonlyMap<string, number>;
}): { bytes: number | null; seconds: number | null } {
  const { shipped, applied } = input;
  if (!shipped || !applied) return { bytes: null, seconds: null };
  const bytes = bytesBetween(applied, shipped, input.fileEnds);
  if (bytes === 0) return { bytes, seconds: 0 };
  const seconds =
    shipped.lastOpTime !== undefined && applied.lastCommitTime !== undefined
      ? Math.max(0, Math.round((Date.parse(shipped.lastOpTime) - applied.lastCommitTime) / 100) / 10)
      : null;
  return { bytes, seconds };
}
