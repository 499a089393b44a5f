/** One directory entry: its DN and attribute values (attribute names as the directory spells them). */
export interface DirectoryEntry {
  dn: string;
  attributes: Record<string, string[]>;
}

/** DNs compare case-insensitively and without spaces after separators (enough for the DNs we write). */
export function normalizeDn(dn: string): string {
  return dn
    .split(',')
    .map((rdn) => rdn.trim().toLowerCase())
    .join(',');
}

/** Number of RDNs: parents sort before children when adding, after them when deleting. */
export function dnDepth(dn: string): number {
  return dn === '' ? 0 : dn.split(',').length;
}

/** Attribute values by case-insensitive name (servers may spell names differently from the request). */
export function attr(entry: DirectoryEntry, name: string): string[] {
  const lower = name.toLowerCase();
  for (const [key, values] of Object.entries(entry.attributes))
    if (key.toLowerCase() === lower) return values;
  return [];
}
