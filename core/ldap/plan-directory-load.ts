import { type DirectoryEntry, dnDepth, normalizeDn } from '#core/ldap/directory-entry.ts';

/** One entry to add, in order; `ancestor`: not in the restore, made so its children have a parent. */
export interface LoadStep {
  readonly entry: DirectoryEntry;
  readonly ancestor: boolean;
}

/** What an ancestor the restore does not carry is made of, by its RDN's attribute (as Zimbra's own tree is). */
const ANCESTORS: Record<string, (value: string) => Record<string, string[]>> = {
  dc: (v) => ({ objectClass: ['dcObject', 'organization'], dc: [v], o: [v] }),
  ou: (v) => ({ objectClass: ['organizationalUnit'], ou: [v] }),
  cn: (v) => ({ objectClass: ['organizationalRole'], cn: [v] }),
};

/** Attributes that name the mail server an account lives on, rewritten for a new server (`--mail-host`). */
function onMailHost(entry: DirectoryEntry, mailHost: string | undefined): DirectoryEntry {
  if (mailHost === undefined) return entry;
  const attributes: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(entry.attributes)) {
    const lower = name.toLowerCase();
    attributes[name] =
      lower === 'zimbramailhost'
        ? values.map(() => mailHost)
        : lower === 'zimbramailtransport'
          ? values.map((v) => v.replace(/^(\w+):[^:]+(:\d+)?$/, `$1:${mailHost}$2`))
          : values;
  }
  return { dn: entry.dn, attributes };
}

/**
 * The order a directory restore is loaded in: parents before children; an ancestor no entry of the restore
 * is (the `dc=` of a domain, the `ou=people` its accounts sit in, `cn=zimbra`) made first from its RDN, where
 * its attribute is one Zimbra's tree uses (dc, ou, cn); mail host attributes rewritten when asked.
 */
export function planDirectoryLoad(entries: readonly DirectoryEntry[], mailHost?: string): LoadStep[] {
  const given = new Map(entries.map((e) => [normalizeDn(e.dn), e]));
  const ancestors = new Map<string, DirectoryEntry>();
  for (const entry of entries) {
    const rdns = entry.dn.split(',').map((r) => r.trim());
    for (let i = 1; i < rdns.length; i++) {
      const dn = rdns.slice(i).join(',');
      const key = normalizeDn(dn);
      if (given.has(key) || ancestors.has(key)) continue;
      const [name, ...value] = (rdns[i] as string).split('=');
      const make = ANCESTORS[(name ?? '').toLowerCase()];
      if (make && value.length > 0) ancestors.set(key, { dn, attributes: make(value.join('=')) });
    }
  }
  const steps: LoadStep[] = [
    ...[...ancestors.values()].map((entry) => ({ entry, ancestor: true })),
    ...entries.map((entry) => ({ entry: onMailHost(entry, mailHost), ancestor: false })),
  ];
  return steps.sort((a, b) => dnDepth(a.entry.dn) - dnDepth(b.entry.dn));
}
