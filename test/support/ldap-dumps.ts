import { createHash } from 'node:crypto';
import { zstdCompressSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { LdapDumpAnnouncement } from '#core/announcement.ts';
import type { DirectoryEntry } from '#core/ldap/directory-entry.ts';
import { formatLdif, parseLdif } from '#core/ldap/ldif.ts';
import { serverKeys } from '#core/storage/server-keys.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { eventually } from '#test/integration/harness.ts';
import { readDirectoryCursor } from '#test/support/index-checks.ts';

/** Uploads an LDIF as the agent would (zstd, digest in metadata) and returns its announcement. */
export async function uploadLdapDump(
  s3: S3Client,
  bucket: string,
  serverId: string,
  at: number,
  text: string,
): Promise<LdapDumpAnnouncement> {
  const plain = Buffer.from(text);
  const sha256 = sha256Hex(plain);
  const stored = zstdCompressSync(plain);
  const key = serverKeys.ldapDump(serverId, new Date(at).toISOString(), sha256);
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: stored,
      Metadata: { sha256, codec: 'zstd', size: String(plain.length) },
    }),
  );
  return {
    type: 'ldap-dump',
    serverId,
    key,
    sha256,
    size: plain.length,
    storedSize: stored.length,
    codec: 'zstd',
    entries: entriesOf(text),
    dumpedAt: new Date(at).toISOString(),
    shippedAt: new Date().toISOString(),
  };
}

/** Announces on the ingest queue (FIFO, the server's message group), as the agent does. */
export async function announce(
  sqs: SQSClient,
  queueUrl: string,
  message: LdapDumpAnnouncement,
): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify(message),
      MessageGroupId: message.serverId,
      MessageDeduplicationId: createHash('sha256').update(message.key).digest('hex'),
    }),
  );
}

/**
 * Ships the simulated host's directory as LDAP dumps taken at `times` (as the agent would: upload, then
 * announce in the server's group) and waits until the indexer has taken in the last one.
 */
export async function shipLdapDumps(
  cloud: LocalCloud,
  serverId: string,
  times: readonly number[],
  directoryAt: (time: number) => DirectoryEntry[],
): Promise<void> {
  const bucket = cloud.outputs.BackupBucketName as string;
  for (const at of times)
    await announce(
      cloud.clients.sqs,
      cloud.outputs.IngestQueueUrl as string,
      await uploadLdapDump(cloud.clients.s3, bucket, serverId, at, formatLdif(directoryAt(at))),
    );
  const last = new Date(Math.max(...times)).toISOString();
  await eventually(
    async () => ((await readDirectoryCursor(cloud, serverId)) === last ? true : undefined),
    120_000,
    'the last LDAP dump to be indexed',
  );
}

/** Entries of an LDIF as the agent counts them (a test may upload one that does not parse: none). */
function entriesOf(text: string): number {
  try {
    return parseLdif(text).length;
  } catch {
    return 0;
  }
}
