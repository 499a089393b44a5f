import { createHash } from 'node:crypto';
import { zstdCompressSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { LdapDumpAnnouncement } from '#core/announcement.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';

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
  const key = `servers/${serverId}/ldap/${new Date(at).toISOString().replace(/[-:]/g, '')}.${sha256}`;
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
    entries: 0,
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
