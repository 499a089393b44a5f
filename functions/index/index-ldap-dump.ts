import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { LdapDumpAnnouncement } from '#core/announcement.ts';
import { DIRECTORY_SCOPE } from '#core/index/index-entity.ts';
import { VersionOverlay } from '#core/index/version-overlay.ts';
import { indexKeys } from '#core/index-keys.ts';
import { applyDirectoryDump } from '#core/ldap/apply-directory-dump.ts';
import { directoryObjects } from '#core/ldap/directory-objects.ts';
import { LdifError } from '#core/ldap/errors.ts';
import { parseLdif } from '#core/ldap/ldif.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import { SegmentCorruptError } from '#functions/index/errors.ts';
import type { IndexTarget } from '#functions/index/index-segment.ts';
import { loadEntities } from '#functions/index/load-entities.ts';
import { persistOverlay } from '#functions/index/persist-overlay.ts';
import { fetchPlaintext } from '#functions/index/segment-object.ts';

export type LdapIndexResult =
  | { state: 'indexed'; objects: number; versions: number }
  /** Not newer than the last dump indexed: an older dump cannot be inserted into the history. */
  | { state: 'older'; lastDumpedAt: string }
  /** The dump does not read as LDIF (or fails its digest): kept aside with the reason; later dumps go on. */
  | { state: 'quarantined'; reason: string };

/**
 * Indexes an LDAP dump: the directory scope takes the dump's objects as of its time. Dumps apply in time
 * order; the directory cursor moves in the same transaction as the dump is marked indexed, and a retry
 * after a crash walks heads back to the dump's start like a redo segment's.
 */
export async function indexLdapDump(
  target: IndexTarget,
  dump: LdapDumpAnnouncement,
): Promise<LdapIndexResult> {
  const pk = indexKeys.server(target.serverId);
  const cursor = await dynamodb().send(
    new GetCommand({
      TableName: target.table,
      Key: { pk, sk: indexKeys.directoryCursor },
      ConsistentRead: true,
    }),
  );
  const last = cursor.Item?.dumpedAt as string | undefined;
  if (last !== undefined && last >= dump.dumpedAt) return { state: 'older', lastDumpedAt: last };

  let objects: ReturnType<typeof directoryObjects>;
  try {
    const plain = await fetchPlaintext(target.bucket, dump.key, dump.sha256, dump.codec);
    objects = directoryObjects(parseLdif(plain.toString('utf8')));
  } catch (error) {
    if (!(error instanceof LdifError || error instanceof SegmentCorruptError)) throw error;
    const reason = `${dump.key}: ${error.message}`;
    await dynamodb().send(
      new UpdateCommand({
        TableName: target.table,
        Key: { pk, sk: indexKeys.ldapDump(dump.dumpedAt) },
        UpdateExpression: 'SET #state = :q, #reason = :reason',
        ExpressionAttributeNames: { '#state': 'state', '#reason': 'reason' },
        ExpressionAttributeValues: { ':q': 'quarantined', ':reason': reason },
      }),
    );
    return { state: 'quarantined', reason };
  }
  const position = dump.dumpedAt;
  const overlay = new VersionOverlay();
  const stale = await loadEntities(
    { table: target.table, serverId: target.serverId, segmentStart: position },
    overlay,
    [{ mailboxId: DIRECTORY_SCOPE, all: true }],
  );
  overlay.begin(position, Date.parse(dump.dumpedAt), 'LdapDump');
  applyDirectoryDump(objects, overlay);
  await persistOverlay(target.table, target.serverId, overlay, {
    stale,
    commit: [
      {
        Put: {
          TableName: target.table,
          Item: { pk, sk: indexKeys.directoryCursor, dumpedAt: dump.dumpedAt },
          ...(last === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : { ConditionExpression: 'dumpedAt = :last', ExpressionAttributeValues: { ':last': last } }),
        },
      },
      {
        Update: {
          TableName: target.table,
          Key: { pk, sk: indexKeys.ldapDump(dump.dumpedAt) },
          UpdateExpression: 'SET #state = :indexed, #objects = :objects',
          ExpressionAttributeNames: { '#state': 'state', '#objects': 'objects' },
          ExpressionAttributeValues: { ':indexed': 'indexed', ':objects': objects.length },
        },
      },
      { Put: { TableName: target.table, Item: { pk: indexKeys.servers, sk: target.serverId } } },
    ],
  });
  return { state: 'indexed', objects: objects.length, versions: overlay.versions.length };
}
