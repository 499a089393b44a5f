/**
 * The size DynamoDB bills an item by (its write units are this over 1 KB, rounded up), by the published
 * rules: names and strings in UTF-8 bytes, a number about one byte per two significant digits plus one,
 * a binary its length, a boolean or null one byte, a list or map three bytes plus one per element (and a
 * map's names). Rounded up where the rules leave room, so a budget kept by this holds.
 */
export function itemSize(item: Record<string, unknown>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item))
    if (value !== undefined) size += Buffer.byteLength(name) + valueSize(value);
  return size;
}

function valueSize(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number' || typeof value === 'bigint') return numberSize(String(value));
  if (typeof value === 'boolean' || value === null) return 1;
  if (value instanceof Uint8Array) return value.length;
  if (value instanceof Set) return 3 + [...value].reduce((n: number, v) => n + 1 + valueSize(v), 0);
  if (Array.isArray(value)) return 3 + value.reduce((n: number, v) => n + 1 + valueSize(v), 0);
  if (typeof value === 'object') {
    let size = 3;
    for (const [name, v] of Object.entries(value as Record<string, unknown>))
      if (v !== undefined) size += 1 + Buffer.byteLength(name) + valueSize(v);
    return size;
  }
  return 0;
}

function numberSize(decimal: string): number {
  const digits = decimal.replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

/** Write units an item of this size costs. */
export const writeUnits = (size: number): number => Math.max(1, Math.ceil(size / 1024));
