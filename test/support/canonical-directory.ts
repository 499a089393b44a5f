import { type DirectoryEntry, normalizeDn } from '#core/ldap/directory-entry.ts';

/** Entries keyed by normalized DN, attribute names lower-cased and values sorted: comparable across readers. */
export function canonical(entries: readonly DirectoryEntry[]): Map<string, Record<string, string[]>> {
  const out = new Map<string, Record<string, string[]>>();
  for (const e of entries) {
    const attributes: Record<string, string[]> = {};
    for (const [name, values] of Object.entries(e.attributes))
      attributes[name.toLowerCase()] = [...values].sort();
    out.set(normalizeDn(e.dn), attributes);
  }
  return out;
}
