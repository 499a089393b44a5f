import { type DirectoryAsOf, directoryAsOf } from '#functions/query/directory-as-of.ts';

/** A server's directory at an instant. */
export type DirectoryReader = (serverId: string, time: number) => Promise<DirectoryAsOf>;

/** Reads each (server, instant) once: a restore of many accounts at one point names them all from one read. */
export function cachedDirectoryReader(table: string): DirectoryReader {
  const cache = new Map<string, Promise<DirectoryAsOf>>();
  return (serverId, time) => {
    const key = `${serverId}@${time}`;
    let found = cache.get(key);
    if (!found) {
      found = directoryAsOf(table, serverId, time);
      cache.set(key, found);
    }
    return found;
  };
}
