/** `redo-<yyyyMMdd.HHmmss.SSS>-seq<N>.log`: GMT time of the rollover, N the file's header sequence (spec §4). */
export function archiveFileName(rolloverTime: number, sequence: bigint): string {
  const d = new Date(rolloverTime);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp = `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}.${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}`;
  return `redo-${stamp}-seq${sequence}.log`;
}

/** The sequence in an archive file name (the text between the last `-seq` and `.log`), or undefined. */
export function archiveSequence(fileName: string): bigint | undefined {
  const match = /^redo-\d{8}\.\d{6}\.\d{3}-seq(\d+)\.log$/.exec(fileName);
  return match ? BigInt(match[1] as string) : undefined;
}
