import { createHash } from 'node:crypto';
import type { DirectoryEntity } from '#core/index/index-entity.ts';
import type { DirectoryEntry } from '#core/ldap/directory-entry.ts';

// The index keeps directory objects by zimbraId with their attributes (secrets left out), not their DNs: a
// restore writes them back in Zimbra's own tree layout.

/** The DN Zimbra gives an object of this kind and name. */
export function zimbraDn(object: Pick<DirectoryEntity, 'object' | 'name'>): string {
  const dcs = (domain: string) =>
    domain
      .split('.')
      .map((part) => `dc=${part}`)
      .join(',');
  switch (object.object) {
    case 'domain':
      return dcs(object.name);
    case 'cos':
      return `cn=${object.name},cn=cos,cn=zimbra`;
    default: {
      const at = object.name.lastIndexOf('@');
      return `uid=${object.name.slice(0, at)},ou=people,${dcs(object.name.slice(at + 1))}`;
    }
  }
}

export function directoryEntryOf(zimbraId: string, object: DirectoryEntity): DirectoryEntry {
  return { dn: zimbraDn(object), attributes: { ...object.attributes, zimbraId: [zimbraId] } };
}

/**
 * An account's entry moved to a new name (restore on a new account): its addresses and ids follow the new
 * name, its aliases are left behind (they still belong to the source), and it gets a zimbraId of its own,
 * derived from the operation so that re-planning gives the same one.
 */
export function renamedAccountEntry(
  zimbraId: string,
  object: DirectoryEntity,
  newName: string,
  salt: string,
): DirectoryEntry {
  const local = newName.slice(0, newName.lastIndexOf('@'));
  const hex = createHash('sha256').update(`${salt}:${newName}:${zimbraId}`).digest('hex');
  const newId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  const attributes: Record<string, string[]> = { ...object.attributes };
  for (const name of Object.keys(attributes))
    if (/^(zimbraMailAlias|zimbraId)$/i.test(name)) delete attributes[name];
  for (const name of ['mail', 'zimbraMailDeliveryAddress']) attributes[name] = [newName];
  attributes.uid = [local];
  attributes.zimbraId = [newId];
  return { dn: zimbraDn({ object: 'account', name: newName }), attributes };
}
