import type { Client, Entry } from 'ldapts';
import type { DirectoryEntry } from '#core/ldap/directory-entry.ts';

export interface ReadDirectoryOptions {
  /** Search base; "" reads every naming context of a server configured with the empty suffix. */
  base?: string;
  filter?: string;
  /** Entries per page (RFC 2696 paged results), so no server size limit cuts the read short. */
  pageSize?: number;
}

/** Every entry under `base` with its user attributes, one page at a time, in the order the server sends. */
export async function* readDirectory(
  client: Client,
  options: ReadDirectoryOptions = {},
): AsyncGenerator<DirectoryEntry> {
  const pages = client.searchPaginated(options.base ?? '', {
    scope: 'sub',
    filter: options.filter ?? '(objectClass=*)',
    attributes: ['*'],
    paged: { pageSize: options.pageSize ?? 500 },
  });
  for await (const page of pages) for (const entry of page.searchEntries) yield toDirectoryEntry(entry);
}

function toDirectoryEntry(entry: Entry): DirectoryEntry {
  const attributes: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(entry)) {
    const values = Array.isArray(value) ? value : [value];
    // ldapts lists every requested attribute, even absent ones ('*' itself) with no values.
    if (name === 'dn' || values.length === 0) continue;
    attributes[name] = values.map((v) => (Buffer.isBuffer(v) ? v.toString('base64') : v));
  }
  return { dn: entry.dn, attributes };
}
