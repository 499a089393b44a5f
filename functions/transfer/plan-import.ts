import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { indexKeys } from '#core/index-keys.ts';
import { exportBlobListSchema, exportFile, exportManifestSchema } from '#core/transfer/export-format.ts';
import {
  type ImportParams,
  locationOf,
  locationProblem,
  locationUrl,
} from '#core/transfer/transfer-request.ts';
import { parseOrThrow } from '#core/validation.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import { getBytes, putJson } from '#functions/restore/operation-objects.ts';
import { ExportObjectError, TransferPlanError } from '#functions/transfer/errors.ts';
import type { TransferPlanTarget } from '#functions/transfer/plan-export.ts';
import { getStored } from '#functions/transfer/stored-objects.ts';
import { type ImportPlan, type TransferWork, transferObject } from '#functions/transfer/transfer-plan.ts';

/**
 * Plans an import: reads the export's manifest and blob list (untrusted: both must pass their schemas and
 * the list its digest), refuses a deployment that already backs up one of the export's servers, and splits
 * the blobs into work items that copy them into this deployment's store. Provisioning (the directory) and
 * the mailboxes follow when every blob is in (see finalize-import).
 */
export async function planImport(
  target: TransferPlanTarget,
  operationId: string,
  params: ImportParams,
): Promise<number> {
  const source = locationOf(params.bucket ?? target.backupBucket, params.prefix);
  const problem = locationProblem(source, target.backupBucket, target.transferBuckets);
  if (problem) throw new TransferPlanError(`cannot import from ${locationUrl(source)}: ${problem}`);
  let text: string;
  try {
    text = (await getBytes(source.bucket, `${source.prefix}${exportFile.manifest}`)).bytes.toString('utf8');
  } catch (cause) {
    throw new TransferPlanError(
      `no export at ${locationUrl(source)}: its manifest.json cannot be read (an export without one is incomplete)`,
      [],
      { cause },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new TransferPlanError(`${locationUrl(source)}manifest.json is not JSON`, [], { cause });
  }
  const manifest = parseOrThrow(exportManifestSchema, json, `export manifest at ${locationUrl(source)}`);
  for (const { serverId } of manifest.servers) {
    const known = await dynamodb().send(
      new QueryCommand({
        TableName: target.indexTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': indexKeys.server(serverId) },
        Limit: 1,
      }),
    );
    if ((known.Items ?? []).length > 0)
      throw new TransferPlanError(
        `this deployment already backs up server ${serverId}: an export is imported into a deployment that holds none of its servers`,
      );
  }
  let listed: unknown;
  try {
    listed = JSON.parse((await getStored(source, exportFile.blobs, manifest.blobs.sha256)).toString('utf8'));
  } catch (cause) {
    if (!(cause instanceof ExportObjectError || cause instanceof SyntaxError)) throw cause;
    throw new TransferPlanError(`the export's blob list cannot be used: ${cause.message}`, [], { cause });
  }
  const list = parseOrThrow(
    exportBlobListSchema,
    listed,
    `blob list of the export at ${locationUrl(source)}`,
  );
  if (list.blobs.length !== manifest.blobs.count)
    throw new TransferPlanError(
      `the export's blob list holds ${list.blobs.length} blobs, its manifest says ${manifest.blobs.count}`,
    );
  const files: TransferWork[] = [];
  for (let start = 0; start < list.blobs.length || start === 0; start += params.chunkBlobs)
    files.push({ blobs: list.blobs.slice(start, start + params.chunkBlobs).map(([sha256]) => sha256) });
  for (const [index, file] of files.entries())
    await putJson(target.backupBucket, transferObject.work(operationId, index), file);
  const plan: ImportPlan = { kind: 'import', source, manifest, workItems: files.length };
  await putJson(target.backupBucket, transferObject.plan(operationId), plan);
  return plan.workItems;
}
