import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { inParallel } from '#core/in-parallel.ts';
import { PACKS_PREFIX, packDigest } from '#core/storage/body-keys.ts';
import { locationItem } from '#core/storage/body-location.ts';
import { PackError } from '#core/storage/body-pack.ts';
import { s3 } from '#functions/clients/s3.ts';
import { writeAll } from '#functions/index/batch-requests.ts';
import { type BodyStoreTarget, locateBodies, trailerOf } from '#functions/storage/body-store.ts';

export interface Relocation {
  /** Every pack was read (else go on after `last` in another round). */
  done: boolean;
  last?: string;
  packs: number;
  /** Locations written (bodies the index had lost). */
  located: number;
  /** Packs whose trailer does not read (a coherency check reports them). */
  unreadable: string[];
}

/**
 * Gives back the index the locations it lost (a lost or restored table): every pack's trailer is read and
 * each body the index has no location for is located where the trailer says. Locations the index has are
 * left as they are. Packs are taken in key order after `after`, until `deadline` (ms): a large store takes
 * several rounds.
 */
export async function relocateBodies(
  target: BodyStoreTarget,
  after: string | undefined,
  deadline: number,
): Promise<Relocation> {
  const result: Relocation = { done: false, packs: 0, located: 0, unreadable: [] };
  let token: string | undefined;
  let startAfter = after;
  do {
    const page = await s3().send(
      new ListObjectsV2Command({
        Bucket: target.bucket,
        Prefix: PACKS_PREFIX,
        ContinuationToken: token,
        ...(token === undefined && startAfter !== undefined ? { StartAfter: startAfter } : {}),
      }),
    );
    const packs = (page.Contents ?? []).filter((o) => o.Key && packDigest(o.Key) !== undefined);
    await inParallel(packs, 4, async (object) => {
      const key = object.Key as string;
      try {
        const bodies = await trailerOf(target.bucket, key, object.Size ?? 0);
        const located = await locateBodies(
          target.table,
          bodies.map((b) => b.sha256),
        );
        const lost = bodies.filter((b) => !located.has(b.sha256));
        const at = new Date().toISOString();
        await writeAll(
          target.table,
          lost.map((b) => ({ PutRequest: { Item: locationItem({ ...b, pack: key }, at) } })),
        );
        result.located += lost.length;
      } catch (error) {
        if (!(error instanceof PackError)) throw error;
        result.unreadable.push(key);
      }
      result.packs++;
    });
    const last = packs.at(-1)?.Key;
    if (last) result.last = last;
    token = page.NextContinuationToken;
    startAfter = undefined;
    if (token && Date.now() > deadline) return result;
  } while (token);
  result.done = true;
  return result;
}
