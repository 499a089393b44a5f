// A redo position orders everything the log did: the file sequence, then the byte offset in the file.
// Fixed-width decimals keep lexical order equal to numeric order in DynamoDB sort keys.

const pad = (decimal: string) => decimal.padStart(20, '0');

/** `<seq>:<offset>`, both zero-padded to 20 digits (i64 range). */
export function redoPosition(seq: bigint | string, offset: number | bigint | string): string {
  return `${pad(String(seq))}:${pad(String(offset))}`;
}

export function parseRedoPosition(position: string): { seq: bigint; offset: bigint } {
  const match = /^(\d{20}):(\d{20})$/.exec(position);
  if (!match) throw new RangeError(`not a redo position: ${JSON.stringify(position)}`);
  return { seq: BigInt(match[1] as string), offset: BigInt(match[2] as string) };
}

/** Human form: `seq 12 @ 4096`. */
export function describePosition(position: string): string {
  const { seq, offset } = parseRedoPosition(position);
  return `seq ${seq} @ ${offset}`;
}
