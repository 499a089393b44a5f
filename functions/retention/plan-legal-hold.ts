import { storedKey } from '#core/index/stored-key.ts';
import { indexKeys } from '#core/index-keys.ts';
import type { Operation } from '#core/operation.ts';
import {
  type CatalogObject,
  chunkKeys,
  type LegalHoldChunk,
  legalHoldParamsSchema,
  objectsNeeded,
} from '#core/retention/legal-hold-plan.ts';
import { bodiesOf, type StoredEntity, storedEntityOf } from '#core/retention/purge-plan.ts';
import { blobKey } from '#core/storage/body-keys.ts';
import { operationObjectKeys } from '#core/storage/operation-keys.ts';
import { parseOrThrow } from '#core/validation.ts';
import type { OperationsTable } from '#functions/operations/operations-store.ts';
import { queryAll } from '#functions/query/query-all.ts';
import { putJson } from '#functions/restore/operation-objects.ts';
import { listHolds } from '#functions/retention/policy-store.ts';
import { locateBodies } from '#functions/storage/body-store.ts';

export interface LegalHoldPlanTarget extends OperationsTable {
  readonly indexTable: string;
  readonly backupBucket: string;
}

export const legalHoldChunkKey = operationObjectKeys.legalHoldChunk;

/**
 * Decides, per account, what its S3 legal-hold flags must become: an account on hold has every object its
 * history needs flagged (those not flagged for it yet); an account not on hold has every flag its hold set
 * cleared (unless another hold needs the object: the work item checks). Each work item's keys go to the bucket.
 * Returns the number of work items.
 */
export async function planLegalHold(target: LegalHoldPlanTarget, op: Operation): Promise<number> {
  const params = parseOrThrow(legalHoldParamsSchema, op.params, `parameters of legal-hold ${op.id}`);
  const held = new Set((await listHolds(target)).map((h) => h.accountId));
  const chunks: LegalHoldChunk[] = [];
  for (const accountId of [...new Set(params.accounts ?? held)].sort()) {
    const flagged = await flaggedFor(target.indexTable, accountId);
    if (!held.has(accountId)) {
      chunks.push(...chunkKeys(accountId, 'release', flagged));
      continue;
    }
    const needed = await neededBy(target.indexTable, accountId);
    chunks.push(
      ...chunkKeys(
        accountId,
        'apply',
        [...needed].filter((key) => !flagged.has(key)),
      ),
    );
  }
  for (const [index, chunk] of chunks.entries())
    await putJson(target.backupBucket, legalHoldChunkKey(op.id, index), chunk);
  return chunks.length;
}

async function flaggedFor(table: string, accountId: string): Promise<Set<string>> {
  const { items } = await queryAll({
    TableName: table,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': indexKeys.heldBy(accountId) },
    ConsistentRead: true,
  });
  return new Set(items.map((i) => storedKey(i).sk));
}

/** Every object the account's mailboxes (on every server it had one) need. */
async function neededBy(table: string, accountId: string): Promise<Set<string>> {
  const { items: mailboxes } = await queryAll({
    TableName: table,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': indexKeys.account(accountId) },
    ConsistentRead: true,
  });
  const byServer = new Map<string, Set<number>>();
  for (const m of mailboxes) {
    const serverId = m.serverId as string;
    byServer.set(serverId, (byServer.get(serverId) ?? new Set()).add(m.mailboxId as number));
  }
  const needed = new Set<string>();
  for (const [serverId, mailboxIds] of byServer) {
    const { items: catalog } = await queryAll({
      TableName: table,
      KeyConditionExpression: 'pk = :pk',
      FilterExpression: 'attribute_exists(s3Key)',
      ExpressionAttributeValues: { ':pk': indexKeys.server(serverId) },
      ConsistentRead: true,
    });
    const entities: StoredEntity[] = [];
    for (const mailboxId of mailboxIds) {
      const { items } = await queryAll({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': indexKeys.mailbox(serverId, mailboxId) },
        ConsistentRead: true,
      });
      entities.push(...items.filter((i) => /^[HV]#/.test(storedKey(i).sk)).map(storedEntityOf));
    }
    // A packed body is held by flagging its pack (a repack leaves a held pack where it is).
    const located = await locateBodies(
      table,
      entities.flatMap((e) => bodiesOf(e)),
    );
    const bodyObject = (sha256: string) => located.get(sha256)?.pack ?? blobKey(sha256);
    for (const key of objectsNeeded(mailboxIds, catalog as CatalogObject[], entities, bodyObject))
      needed.add(key);
  }
  return needed;
}
