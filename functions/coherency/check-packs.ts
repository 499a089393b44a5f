import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { CoherencyPlan, Finding } from '#core/coherency/coherency-request.ts';
import { inParallel } from '#core/in-parallel.ts';
import { PACKS_PREFIX, packDigest } from '#core/storage/body-keys.ts';
import type { BodyLocation } from '#core/storage/body-location.ts';
import { bodyOfFrame, PackError, type PackedBody, readTrailer } from '#core/storage/body-pack.ts';
import { objectBody } from '#core/storage/object-body.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';
import { listObjects } from '#functions/clients/bucket-objects.ts';
import { s3 } from '#functions/clients/s3.ts';
import { liveBodies, moveLocation, putPack, trailerOf } from '#functions/storage/body-store.ts';

const HOUR = 3_600_000;

export interface PackCheckTarget {
  readonly indexTable: string;
  readonly backupBucket: string;
}

/**
 * Packs under `packs/<prefix>`: each is named by its digest, its trailer reads, and (with `readData`) every
 * body in it decodes to its digest; a pack no location names is an orphan. A damaged pack is one finding
 * naming exactly the bodies that do not verify. With `fix`, its good live bodies are first copied into a
 * new pack and their locations moved, so that quarantining the pack takes away only what was damaged.
 */
export async function checkPackObjects(
  target: PackCheckTarget,
  plan: CoherencyPlan,
  prefix: string,
): Promise<{ findings: Finding[]; objectsChecked: number }> {
  const stored = await listObjects(target.backupBucket, `${PACKS_PREFIX}${prefix}`);
  const findings: Finding[] = [];
  const graceEnd = plan.at - plan.params.orphanGraceHours * HOUR;
  await inParallel([...stored], 4, async ([key, object]) => {
    if (packDigest(key) === undefined) {
      findings.push({ problem: 'orphan', key, detail: 'not a pack name' });
      return;
    }
    let bodies: PackedBody[];
    let whole: Buffer | undefined;
    try {
      if (plan.params.readData) {
        const got = await s3().send(new GetObjectCommand({ Bucket: target.backupBucket, Key: key }));
        whole = await objectBody(got, object.size);
        bodies = readTrailer(whole, whole.length);
      } else bodies = await trailerOf(target.backupBucket, key, object.size);
    } catch (error) {
      if (!(error instanceof PackError)) throw error;
      findings.push({ problem: 'corrupt', key, detail: `pack ${error.message}` });
      return;
    }
    const live = await liveBodies(target.indexTable, key, bodies);
    if (whole) {
      const damaged: string[] = [];
      const good: { body: PackedBody; content: Buffer }[] = [];
      for (const body of bodies) {
        try {
          const content = bodyOfFrame(whole.subarray(body.offset, body.offset + body.length), body);
          if (live.includes(body)) good.push({ body, content });
        } catch (error) {
          if (!(error instanceof PackError)) throw error;
          damaged.push(`body ${body.sha256} at ${body.offset} ${error.message}`);
        }
      }
      if (damaged.length > 0) {
        if (plan.params.fix) await salvage(target, key, good);
        findings.push({ problem: 'corrupt', key, detail: damaged.join('; ') });
        return;
      }
      if (sha256Hex(whole) !== packDigest(key))
        findings.push({
          problem: 'corrupt',
          key,
          detail: 'its bodies verify, but the pack is not the digest it is named by',
        });
    }
    if (live.length === 0 && object.lastModified < graceEnd)
      findings.push({
        problem: 'orphan',
        key,
        detail: 'no body location names this pack (a repack deletes it)',
      });
  });
  return { findings, objectsChecked: stored.size };
}

/** Copies the verified live bodies of a damaged pack into a new pack and moves their locations there. */
async function salvage(
  target: PackCheckTarget,
  from: string,
  good: readonly { body: PackedBody; content: Buffer }[],
): Promise<void> {
  if (good.length === 0) return;
  const pack = await putPack(
    target.backupBucket,
    good.map((g) => ({ sha256: g.body.sha256, content: g.content })),
  );
  const old = new Map(good.map((g): [string, BodyLocation] => [g.body.sha256, { ...g.body, pack: from }]));
  const at = new Date().toISOString();
  await inParallel(pack.bodies, 8, async (body) => {
    const was = old.get(body.sha256);
    if (was) await moveLocation(target.indexTable, was, body, at);
  });
}
