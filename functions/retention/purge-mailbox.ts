import { randomBytes } from 'node:crypto';
import { MAILBOX_KEY } from '#core/index/index-entity.ts';
import { storedKey } from '#core/index/stored-key.ts';
import { entityKeys, indexKeys, keyPrefixes } from '#core/index-keys.ts';
import { mailboxEndedBefore, planMailboxPurge, storedEntityOf } from '#core/retention/purge-plan.ts';
import type { PurgeEntry, PurgePlan } from '#core/retention/purge-request.ts';
import { operationObjectKeys } from '#core/storage/operation-keys.ts';
import { type WriteRequest, writeAll } from '#functions/index/batch-requests.ts';
import { queryAll } from '#functions/query/query-all.ts';
import { putJson } from '#functions/restore/operation-objects.ts';
import { writeBaseSnapshot } from '#functions/retention/write-base-snapshot.ts';

export interface PurgeTarget {
  readonly indexTable: string;
  readonly backupBucket: string;
}

/** A blob reference a purge removed (or, in a dry run, would remove): the sweep looks at its blob. */
export interface PurgeCandidate {
  sha256: string;
  /** The reference's sort key under `BLOB#<sha256>`. */
  ref: string;
}

export const candidatesPrefix = operationObjectKeys.purge.candidates;

/**
 * One mailbox's share: when the plan cuts the server's redo, the mailbox's state at its base point (just
 * after its cutoff) is written first as a base snapshot; then its closed versions that ended before the
 * cutoff go, then the blob references no remaining version needs. Crash-safe by order: the candidates are written first (each attempt its own
 * file, so none is lost), then references, then versions; a retry computes the same from what is left.
 */
export async function purgeMailbox(
  target: PurgeTarget,
  plan: PurgePlan,
  entry: PurgeEntry,
  index: number,
): Promise<Record<string, number>> {
  if (entry.cutoff === undefined) return { mailboxesKept: 1 };
  // When the server's redo is cut, the mailbox's state at its own cut goes to the bucket first.
  const serverCut = plan.servers?.[entry.serverId]?.cut;
  const base =
    serverCut && entry.cut && !plan.dryRun
      ? await writeBaseSnapshot(target, entry, entry.cut, serverCut)
      : undefined;
  const cutoff = entry.cutoff;
  const partition = indexKeys.mailbox(entry.serverId, entry.mailboxId);
  const ownKeys = entityKeys(entry.serverId, entry.mailboxId, MAILBOX_KEY);
  const [items, mailbox] = await Promise.all([
    queryAll({
      TableName: target.indexTable,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': partition },
      ConsistentRead: true,
    }),
    Promise.all(
      [ownKeys.head, ownKeys.entityVersion('')].map((prefix) =>
        queryAll({
          TableName: target.indexTable,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
          ExpressionAttributeValues: { ':pk': ownKeys.pk, ':p': prefix },
          ConsistentRead: true,
        }),
      ),
    ),
  ]);
  const entities = items.items.filter((i) => /^[HV]#/.test(storedKey(i).sk)).map(storedEntityOf);
  const own = mailbox.flatMap((m) => m.items).map(storedEntityOf);
  // A mailbox deleted before the cutoff takes everything of it along, current heads included.
  const ended = mailboxEndedBefore(own, cutoff);
  const purge = planMailboxPurge(entities, cutoff, ended);
  // A mailbox gone takes its conversations' join items along (they say nothing without its messages).
  const joins = ended
    ? items.items.map((i) => storedKey(i).sk).filter((sk) => sk.startsWith(keyPrefixes.conversation))
    : [];
  const ownPurge = planMailboxPurge(own, cutoff);
  const candidates: PurgeCandidate[] = purge.references.map((r) => ({
    sha256: r.sha256,
    ref: indexKeys.blobRef(entry.serverId, entry.mailboxId, r.itemId),
  }));
  if (candidates.length > 0)
    await putJson(
      target.backupBucket,
      `${candidatesPrefix(plan.operationId)}${String(index).padStart(6, '0')}-${randomBytes(4).toString('hex')}.json`,
      candidates,
    );
  if (!plan.dryRun) {
    const deletes = (pk: string, sks: readonly string[]): WriteRequest[] =>
      sks.map((sk) => ({ DeleteRequest: { Key: { pk, sk } } }));
    await writeAll(
      target.indexTable,
      candidates.map((c) => ({ DeleteRequest: { Key: { pk: indexKeys.blob(c.sha256), sk: c.ref } } })),
    );
    await writeAll(target.indexTable, [
      ...deletes(partition, [...purge.versions, ...joins]),
      ...deletes(ownKeys.pk, ownPurge.versions),
    ]);
  }
  return {
    mailboxesPurged: 1,
    versionsPurged: purge.versions.length + ownPurge.versions.length,
    itemsGone: purge.itemsGone,
    referencesRemoved: candidates.length,
    ...(base ? { baseSnapshots: base.written ? 1 : 0, baseItemsLeftOut: base.leftOut } : {}),
  };
}
