// Test helpers to write bytes as commented hex, independent of the redo writer under test.

/** Hex digits with `//` comments and any whitespace removed, as bytes. */
export function hex(text: string): Buffer {
  const digits = text
    .split('\n')
    .map((line) => line.replace(/\/\/.*$/, ''))
    .join('')
    .replace(/\s+/g, '');
  if (!/^([0-9a-f]{2})*$/i.test(digits)) throw new Error(`not hex: ${digits}`);
  return Buffer.from(digits, 'hex');
}

/** An i32 length then UTF-8, as hex (Zimbra's RedoLogOutput.writeUTF). */
export function strHex(value: string | null): string {
  if (value === null) return 'ffffffff';
  const bytes = Buffer.from(value, 'utf8');
  return bytes.length.toString(16).padStart(8, '0') + bytes.toString('hex');
}

/** A big-endian two's-complement integer of `bytes` bytes, as hex. */
export function intHex(value: number | bigint, bytes: number): string {
  const bits = BigInt(bytes * 8);
  const v = (BigInt(value) + (1n << bits)) % (1n << bits);
  return v.toString(16).padStart(bytes * 2, '0');
}
