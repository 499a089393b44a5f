import { Attribute, Change, Client } from 'ldapts';
import { readDirectory } from '#agent/ldap/read-directory.ts';
import { attr, type DirectoryEntry, dnDepth, normalizeDn } from '#core/ldap/directory-entry.ts';
import { ldapReason } from '#core/ldap/ldap-reason.ts';
import { LocalCloudError } from '#local/errors.ts';

export interface DirectoryTarget {
  url: string;
  bindDn: string;
  password: string;
}

export interface SyncCounts {
  added: number;
  modified: number;
  deleted: number;
}

/**
 * Makes the server hold exactly `entries` (over LDAP, as an administrator would): entries it lacks are
 * added parents first, extra ones deleted children first, changed attributes replaced. A change of
 * object classes re-creates the entry.
 */
export async function syncDirectory(
  target: DirectoryTarget,
  entries: readonly DirectoryEntry[],
): Promise<SyncCounts> {
  const client = new Client({ url: target.url, timeout: 10_000, connectTimeout: 5000 });
  const counts: SyncCounts = { added: 0, modified: 0, deleted: 0 };
  try {
    try {
      await client.bind(target.bindDn, target.password);
    } catch (error) {
      throw new LocalCloudError(
        `cannot bind to ${target.url} as ${target.bindDn}: ${ldapReason(error)}; check the bind DN and password`,
        { cause: error },
      );
    }
    const present = new Map<string, DirectoryEntry>();
    for await (const entry of readDirectory(client)) present.set(normalizeDn(entry.dn), entry);
    const wanted = new Map(entries.map((e) => [normalizeDn(e.dn), e]));

    const remove: string[] = [];
    const add: DirectoryEntry[] = [];
    for (const [key, entry] of present) {
      const desired = wanted.get(key);
      const reshaped = desired && !sameValues(attr(entry, 'objectClass'), attr(desired, 'objectClass'), true);
      if (!desired || reshaped) remove.push(entry.dn);
      if (desired && reshaped) add.push(desired);
    }
    for (const [key, entry] of wanted) if (!present.has(key)) add.push(entry);

    for (const dn of remove.sort((a, b) => dnDepth(b) - dnDepth(a))) {
      await client.del(dn);
      counts.deleted++;
    }
    for (const entry of add.sort((a, b) => dnDepth(a.dn) - dnDepth(b.dn))) {
      await client.add(entry.dn, entry.attributes);
      counts.added++;
    }
    for (const [key, desired] of wanted) {
      const current = present.get(key);
      if (!current || remove.includes(current.dn)) continue;
      const changes = attributeChanges(current, desired);
      if (changes.length === 0) continue;
      await client.modify(current.dn, changes);
      counts.modified++;
    }
    return counts;
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

function attributeChanges(current: DirectoryEntry, desired: DirectoryEntry): Change[] {
  const changes: Change[] = [];
  for (const [name, values] of Object.entries(desired.attributes))
    if (!sameValues(attr(current, name), values))
      changes.push(new Change({ operation: 'replace', modification: new Attribute({ type: name, values }) }));
  for (const name of Object.keys(current.attributes))
    if (attr(desired, name).length === 0)
      changes.push(new Change({ operation: 'delete', modification: new Attribute({ type: name }) }));
  return changes;
}

/** Object class names compare case-insensitively; other values exactly, in any order. */
function sameValues(a: readonly string[], b: readonly string[], foldCase = false): boolean {
  if (a.length !== b.length) return false;
  const sorted = (v: readonly string[]) => [...v].map((s) => (foldCase ? s.toLowerCase() : s)).sort();
  const x = sorted(a);
  const y = sorted(b);
  return x.every((v, i) => v === y[i]);
}
