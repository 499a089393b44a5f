import { indexKeys, keyPrefixes } from '#core/index-keys.ts';
import { attr } from '#core/ldap/directory-entry.ts';
import { parseLdif } from '#core/ldap/ldif.ts';
import { secretAttributesOf } from '#core/ldap/secret-attributes.ts';
import { SegmentMismatchError } from '#functions/errors.ts';
import { SegmentCorruptError } from '#functions/index/errors.ts';
import { fetchPlaintext } from '#functions/index/segment-object.ts';
import { queryAll } from '#functions/query/query-all.ts';
import { RestorePlanError } from '#functions/restore/errors.ts';

// The index never keeps password hashes; the LDAP dumps in the bucket do. A directory restore --with-secrets
// takes each object's secret attributes from the server's dump in effect at the instant (the newest one the
// index took in at or before it), checked against its digest. A purge always keeps that dump.

export interface DirectorySecrets {
  /** Secret attributes by zimbraId (lowercase). */
  byId: Map<string, Record<string, string[]>>;
  /** The dumps they came from. */
  dumps: string[];
}

export async function directorySecretsAt(
  target: { indexTable: string; backupBucket: string },
  serverIds: readonly string[],
  time: number,
): Promise<DirectorySecrets> {
  const out: DirectorySecrets = { byId: new Map(), dumps: [] };
  for (const serverId of serverIds) {
    const { items } = await queryAll({
      TableName: target.indexTable,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': indexKeys.server(serverId), ':p': keyPrefixes.ldapDump },
    });
    const dump = items
      .filter((d) => d.state === 'indexed' && Date.parse(String(d.dumpedAt)) <= time)
      .sort((a, b) => Date.parse(String(b.dumpedAt)) - Date.parse(String(a.dumpedAt)))[0];
    if (!dump)
      throw new RestorePlanError(
        `server ${serverId} has no LDAP dump taken in at or before ${new Date(time).toISOString()}: its password hashes cannot be restored`,
      );
    let text: string;
    try {
      const plain = await fetchPlaintext(
        target.backupBucket,
        String(dump.s3Key),
        String(dump.sha256),
        String(dump.codec ?? 'none'),
      );
      text = plain.toString('utf8');
    } catch (error) {
      if (!(error instanceof SegmentCorruptError || error instanceof SegmentMismatchError)) throw error;
      throw new RestorePlanError(
        `the LDAP dump with the password hashes is unreadable: ${error.message}`,
        [],
        {
          cause: error,
        },
      );
    }
    for (const entry of parseLdif(text)) {
      const id = attr(entry, 'zimbraId')[0]?.toLowerCase();
      const secrets = secretAttributesOf(entry.attributes);
      if (id && Object.keys(secrets).length > 0) out.byId.set(id, secrets);
    }
    out.dumps.push(String(dump.s3Key));
  }
  return out;
}
