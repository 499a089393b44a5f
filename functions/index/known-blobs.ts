import { storedKey } from '#core/index/stored-key.ts';
import { indexKeys, keyPrefixes } from '#core/index-keys.ts';
import { getAll } from '#functions/index/batch-requests.ts';

/**
 * Which of these bodies the store holds for sure: located in a pack the indexer wrote (LOC), or stored alone,
 * read back and verified by the indexer (VERIFIED) and not marked by a purge since (PURGED: it may be gone). An agent that may not read the bucket asks this
 * instead of sending bytes the store has; a body not named here is sent (a write-once put keeps what exists).
 */
export async function knownBlobs(table: string, shas: readonly string[]): Promise<string[]> {
  const unique = [...new Set(shas)];
  if (unique.length === 0) return [];
  const items = await getAll(
    table,
    unique.flatMap((sha) => [
      { pk: indexKeys.blob(sha), sk: indexKeys.verified },
      { pk: indexKeys.blob(sha), sk: indexKeys.purged },
      { pk: indexKeys.blob(sha), sk: indexKeys.location },
    ]),
  );
  const marks = (sk: string) =>
    new Set(items.filter((i) => i.sk === sk).map((i) => storedKey(i).pk.slice(keyPrefixes.blob.length)));
  const verified = marks(indexKeys.verified);
  const purged = marks(indexKeys.purged);
  const located = marks(indexKeys.location);
  return unique.filter((sha) => located.has(sha) || (verified.has(sha) && !purged.has(sha)));
}
