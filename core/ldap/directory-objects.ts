import { attr, type DirectoryEntry } from '#core/ldap/directory-entry.ts';

export type DirectoryKind = 'account' | 'alias' | 'list' | 'domain' | 'cos';

/** A Zimbra directory object the index versions: by its zimbraId, with the name operators use for it. */
export interface DirectoryObject {
  zimbraId: string;
  kind: DirectoryKind;
  /** Email address (accounts, aliases, lists), domain name, or class-of-service name; lower case. */
  name: string;
  /** An alias's account. */
  targetId?: string;
  attributes: Record<string, string[]>;
}

const KINDS: [objectClass: string, kind: DirectoryKind][] = [
  ['zimbraaccount', 'account'],
  ['zimbraalias', 'alias'],
  ['zimbradistributionlist', 'list'],
  ['zimbragroup', 'list'],
  ['zimbradomain', 'domain'],
  ['zimbracos', 'cos'],
];

/**
 * The objects of an LDAP dump that carry a zimbraId, classified and named. Entries without a zimbraId
 * (tree nodes such as `ou=people`) are structure, not objects, and are left out.
 */
export function directoryObjects(entries: Iterable<DirectoryEntry>): DirectoryObject[] {
  const out: DirectoryObject[] = [];
  for (const entry of entries) {
    const zimbraId = attr(entry, 'zimbraId')[0];
    if (!zimbraId) continue;
    const classes = attr(entry, 'objectClass').map((c) => c.toLowerCase());
    const kind = KINDS.find(([c]) => classes.includes(c))?.[1];
    if (!kind) continue;
    const name = nameOf(entry, kind);
    if (!name) continue;
    const targetId = kind === 'alias' ? attr(entry, 'zimbraAliasTargetId')[0] : undefined;
    out.push({
      zimbraId: zimbraId.toLowerCase(),
      kind,
      name: name.toLowerCase(),
      ...(targetId ? { targetId: targetId.toLowerCase() } : {}),
      attributes: entry.attributes,
    });
  }
  return out;
}

function nameOf(entry: DirectoryEntry, kind: DirectoryKind): string | undefined {
  switch (kind) {
    case 'domain':
      return attr(entry, 'zimbraDomainName')[0];
    case 'cos':
      return attr(entry, 'cn')[0];
    case 'account':
      return attr(entry, 'zimbraMailDeliveryAddress')[0] ?? addressFromDn(entry.dn);
    default:
      return addressFromDn(entry.dn) ?? attr(entry, 'mail')[0];
  }
}

/** `uid=jane,ou=people,dc=example,dc=com` → `jane@example.com` (where Zimbra keeps people and aliases). */
function addressFromDn(dn: string): string | undefined {
  const rdns = dn.split(',').map((r) => r.trim());
  const uid = rdns[0]?.match(/^uid=(.+)$/i)?.[1];
  const domain = rdns
    .map((r) => r.match(/^dc=(.+)$/i)?.[1])
    .filter((d): d is string => d !== undefined)
    .join('.');
  return uid && domain ? `${uid}@${domain}` : undefined;
}
