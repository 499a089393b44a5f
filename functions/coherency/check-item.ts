import { CopyObjectCommand, DeleteObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { CoherencyItem, CoherencyPlan, Finding } from '#core/coherency/coherency-request.ts';
import { inParallel } from '#core/in-parallel.ts';
import { CATALOG_KINDS, type CatalogEntry } from '#core/index/catalog-entries.ts';
import { storedKey } from '#core/index/stored-key.ts';
import { indexKeys, keyPrefixes } from '#core/index-keys.ts';
import { blobKey } from '#core/storage/body-keys.ts';
import { HELD_REFS, heldRefsOf } from '#core/storage/body-location.ts';
import { BUCKET } from '#core/storage/bucket-layout.ts';
import { serverPrefix } from '#core/storage/server-keys.ts';
import { listCatalog } from '#functions/catalog/catalog-store.ts';
import { isNotFound, listObjects } from '#functions/clients/bucket-objects.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import { s3 } from '#functions/clients/s3.ts';
import { checkPackObjects } from '#functions/coherency/check-packs.ts';
import { quarantineNote, recordQuarantine } from '#functions/coherency/quarantine-records.ts';
import { SegmentMismatchError } from '#functions/errors.ts';
import { SegmentCorruptError } from '#functions/index/errors.ts';
import { fetchPlaintext } from '#functions/index/segment-object.ts';
import { queryAll } from '#functions/query/query-all.ts';
import { locateBodies } from '#functions/storage/body-store.ts';

export interface CheckTarget {
  readonly indexTable: string;
  readonly backupBucket: string;
}

export interface CheckResult {
  findings: Finding[];
  objectsChecked: number;
}

const HOUR = 3_600_000;

/** One share of a coherency check; with `fix`, damaged and orphaned objects are moved to quarantine. */
export async function checkItem(
  target: CheckTarget,
  plan: CoherencyPlan,
  item: CoherencyItem,
): Promise<CheckResult> {
  const result =
    item.kind === 'server'
      ? await checkServer(target, plan, item.serverId)
      : item.kind === 'blob-objects'
        ? merged(
            await checkBlobObjects(target, plan, item.prefix),
            await checkPackObjects(target, plan, item.prefix),
          )
        : await checkBlobReferences(target, item.segment, item.segments);
  if (plan.params.fix)
    for (const finding of result.findings)
      if (finding.problem !== 'missing') finding.quarantinedAs = await quarantine(target, plan, finding);
  return result;
}

function merged(a: CheckResult, b: CheckResult): CheckResult {
  return { findings: [...a.findings, ...b.findings], objectsChecked: a.objectsChecked + b.objectsChecked };
}

/** Every object a server's catalog names (segments, seals, LDAP dumps, scan snapshots, body packs) and nothing else. */
async function checkServer(target: CheckTarget, plan: CoherencyPlan, serverId: string): Promise<CheckResult> {
  const findings: Finding[] = [];
  const named = new Set<string>();
  // A catalog item that does not read is a finding like a damaged object, not the end of the check.
  const malformed = (item: Record<string, unknown>, error: Error) => {
    if (typeof item.s3Key === 'string') named.add(item.s3Key);
    findings.push({ problem: 'corrupt', key: String(item.s3Key ?? item.sk), detail: error.message });
  };
  const catalog = (
    await Promise.all(
      CATALOG_KINDS.map(
        (kind): Promise<CatalogEntry[]> => listCatalog(target.indexTable, serverId, kind, { malformed }),
      ),
    )
  ).flat();
  const stored = await listObjects(target.backupBucket, serverPrefix(serverId));
  await inParallel(catalog, 8, async (entry) => {
    const key = entry.s3Key;
    // A segment a purge removed is gone on purpose.
    if (entry.state === 'purged') return;
    named.add(key);
    const object = stored.get(key);
    if (!object) {
      findings.push({
        problem: 'missing',
        key,
        detail: `catalogued as ${entry.sk}, not in the bucket${await quarantineNote(target.indexTable, key)}`,
      });
      return;
    }
    if (object.size !== entry.storedSize) {
      findings.push({
        problem: 'size-mismatch',
        key,
        detail: `${object.size} bytes stored, ${entry.storedSize} announced`,
      });
      return;
    }
    const problem = await contentProblem(
      target.backupBucket,
      key,
      entry.sha256,
      entry.type === 'seal' || entry.type === 'body-pack' ? undefined : entry.codec,
      plan.params.readData,
    );
    if (problem) findings.push({ problem: 'corrupt', key, detail: problem });
  });
  const graceEnd = plan.at - plan.params.orphanGraceHours * HOUR;
  for (const [key, object] of stored)
    if (!named.has(key) && object.lastModified < graceEnd)
      findings.push({ problem: 'orphan', key, detail: 'in the bucket, in no catalog entry of its server' });
  return { findings, objectsChecked: stored.size };
}

/** Blobs under `blobs/<prefix>`: each is what its name says, and something refers to it. */
async function checkBlobObjects(
  target: CheckTarget,
  plan: CoherencyPlan,
  prefix: string,
): Promise<CheckResult> {
  const stored = await listObjects(target.backupBucket, `${BUCKET.blobs}${prefix}`);
  const findings: Finding[] = [];
  const graceEnd = plan.at - plan.params.orphanGraceHours * HOUR;
  await inParallel([...stored], 8, async ([key, object]) => {
    const sha256 = key.split('/').at(-1) ?? '';
    if (!/^[0-9a-f]{64}$/.test(sha256) || key !== blobKey(sha256)) {
      findings.push({ problem: 'orphan', key, detail: 'not a blob name' });
      return;
    }
    const head = await s3().send(new HeadObjectCommand({ Bucket: target.backupBucket, Key: key }));
    const problem = await contentProblem(
      target.backupBucket,
      key,
      sha256,
      head.Metadata?.codec,
      plan.params.readData,
      head.Metadata?.sha256,
    );
    if (problem) {
      findings.push({ problem: 'corrupt', key, detail: problem });
      return;
    }
    // A reference is an item of its own or held by the body's location; both are in the blob's partition.
    const { items } = await queryAll({
      TableName: target.indexTable,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': indexKeys.blob(sha256) },
    });
    const referred = items.some(
      (i) => storedKey(i).sk.startsWith(keyPrefixes.blobRef) || heldRefsOf(i).length > 0,
    );
    if (!referred && object.lastModified < graceEnd)
      findings.push({ problem: 'orphan', key, detail: 'no item refers to this blob' });
  });
  return { findings, objectsChecked: stored.size };
}

/** One slice of all blob references: every blob referred to is in the bucket. */
async function checkBlobReferences(
  target: CheckTarget,
  segment: number,
  segments: number,
): Promise<CheckResult> {
  const referred = new Map<string, string>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamodb().send(
      new ScanCommand({
        TableName: target.indexTable,
        Segment: segment,
        TotalSegments: segments,
        // References of their own, and those bodies' locations hold.
        FilterExpression: 'begins_with(pk, :blob) AND (begins_with(sk, :ref) OR attribute_exists(#held))',
        ExpressionAttributeNames: { '#held': HELD_REFS },
        ExpressionAttributeValues: { ':blob': keyPrefixes.blob, ':ref': keyPrefixes.blobRef },
        ProjectionExpression: 'pk, sk, #held',
        ExclusiveStartKey: start,
      }),
    );
    for (const i of page.Items ?? []) {
      const { pk, sk } = storedKey(i);
      const sha256 = pk.slice(keyPrefixes.blob.length);
      const ref = sk.startsWith(keyPrefixes.blobRef) ? sk : heldRefsOf(i)[0];
      if (ref !== undefined && !referred.has(sha256)) referred.set(sha256, ref);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  // A packed body is where its location says (its pack there); any other is stored alone under `blobs/`.
  const located = await locateBodies(target.indexTable, referred.keys());
  const packs = new Map<string, Promise<boolean>>();
  const exists = (key: string) => {
    let known = packs.get(key);
    if (!known) {
      known = s3()
        .send(new HeadObjectCommand({ Bucket: target.backupBucket, Key: key }))
        .then(
          () => true,
          (error: unknown) => {
            if (isNotFound(error)) return false;
            throw error;
          },
        );
      packs.set(key, known);
    }
    return known;
  };
  const findings: Finding[] = [];
  await inParallel([...referred], 8, async ([sha256, ref]) => {
    const location = located.get(sha256);
    const key = location?.pack ?? blobKey(sha256);
    if (location ? await exists(key) : await existsAlone(target.backupBucket, key)) return;
    findings.push({
      problem: 'missing',
      key,
      detail: `${location ? `pack holding body ${sha256}, ` : ''}referred to by ${ref}, not in the bucket${await quarantineNote(target.indexTable, key)}`,
    });
  });
  return { findings, objectsChecked: referred.size };
}

async function existsAlone(bucket: string, key: string): Promise<boolean> {
  try {
    await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/** Why the object is not what was recorded, or undefined. Reads it whole with `readData`. */
async function contentProblem(
  bucket: string,
  key: string,
  sha256: string,
  codec: string | undefined,
  readData: boolean,
  metadataSha256?: string,
): Promise<string | undefined> {
  if (!readData) {
    const recorded =
      metadataSha256 ??
      (await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).Metadata?.sha256;
    return recorded !== undefined && recorded !== sha256
      ? `its metadata names digest ${recorded}, the catalog ${sha256}`
      : undefined;
  }
  try {
    await fetchPlaintext(bucket, key, sha256, codec ?? 'none');
    return undefined;
  } catch (error) {
    if (error instanceof SegmentCorruptError || error instanceof SegmentMismatchError) return error.message;
    throw error;
  }
}

/**
 * Copies the object under `quarantine/<operation>/`, records that in the index (so later checks and restores
 * can say where it went and why), and removes it from where it was.
 */
async function quarantine(target: CheckTarget, plan: CoherencyPlan, finding: Finding): Promise<string> {
  const key = finding.key;
  const to = `${BUCKET.quarantine}${plan.operationId}/${key}`;
  await s3().send(
    new CopyObjectCommand({
      Bucket: target.backupBucket,
      Key: to,
      CopySource: `${target.backupBucket}/${encodeURI(key)}`,
      MetadataDirective: 'COPY',
    }),
  );
  await recordQuarantine(target.indexTable, {
    key,
    quarantinedAs: to,
    operationId: plan.operationId,
    problem: finding.problem,
    detail: finding.detail,
    at: new Date().toISOString(),
  });
  await s3().send(new DeleteObjectCommand({ Bucket: target.backupBucket, Key: key }));
  return to;
}
