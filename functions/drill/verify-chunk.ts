import type { DrillMismatch } from '#core/drill/drill-attestation.ts';
import { inParallel } from '#core/in-parallel.ts';
import { accountDir, messageFile } from '#core/restore/bundle-manifest.ts';
import { operationObjectKeys } from '#core/storage/operation-keys.ts';
import { sha256Hex, zimbraDigest } from '#core/zimbra-digest.ts';
import { getBytes, getJson, operationObject, putJson } from '#functions/restore/operation-objects.ts';
import type { WorkFile, WorkResult } from '#functions/restore/restore-plan.ts';

/** What one work item of a drill read back from the bundle. */
export interface VerifiedChunk {
  readonly account: number;
  bodies: number;
  bytes: number;
  readonly mismatches: DrillMismatch[];
}

/** A Zimbra SHA-256 blob digest (base64, `/` written as `,`); older servers' SHA-1 digests are not checked. */
const ZIMBRA_SHA256_DIGEST = /^[A-Za-z0-9+,]{43}=$/;

/**
 * Reads back every body a drill's work item wrote into the bundle, as a restore would apply it, and checks it
 * against the SHA-256 the index recorded and, for a message, the digest the mail server itself recorded in
 * its redo log. What the copy already reported as unrestored is not read (the finalizer names it).
 */
export async function verifyChunk(
  target: { readonly backupBucket: string },
  operationId: string,
  index: number,
  copied: WorkResult,
): Promise<VerifiedChunk> {
  const work = await getJson<WorkFile>(target.backupBucket, operationObject.work(operationId, index));
  const failed = new Set(copied.unrestored.map((u) => `${u.id}:${u.file ?? ''}`));
  const result: VerifiedChunk = { account: work.account, bodies: 0, bytes: 0, mismatches: [] };
  const wanted = work.messages.filter((m) => !failed.has(`${m.id}:${m.file ?? ''}`));
  await inParallel(wanted, 8, async (item) => {
    const kind = item.file === undefined ? 'message' : 'document';
    const file = `${accountDir(work.account)}/${item.file ?? messageFile(item.id)}`;
    let bytes: Buffer;
    try {
      bytes = (await getBytes(target.backupBucket, operationObject.bundle(operationId, file))).bytes;
    } catch (error) {
      result.mismatches.push({
        kind,
        id: item.id,
        reason: 'read-error',
        detail: `${file} in the bundle: ${(error as Error).message}`,
      });
      return;
    }
    if (sha256Hex(bytes) !== item.sha256)
      result.mismatches.push({
        kind,
        id: item.id,
        reason: 'digest-mismatch',
        detail: `${file} in the bundle differs from the SHA-256 the index recorded`,
      });
    else if (item.digest && ZIMBRA_SHA256_DIGEST.test(item.digest) && zimbraDigest(bytes) !== item.digest)
      result.mismatches.push({
        kind,
        id: item.id,
        reason: 'digest-mismatch',
        detail: `${file} differs from the blob digest the mail server recorded (${item.digest})`,
      });
    else {
      result.bodies++;
      result.bytes += bytes.length;
    }
  });
  result.mismatches.sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  await putJson(target.backupBucket, operationObjectKeys.drill.verified(operationId, index), result);
  return result;
}
