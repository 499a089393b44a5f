import { zstdCompressSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { SegmentAnnouncement } from '#core/announcement.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';
import type { FunctionConfig } from '#functions/config.ts';
import { fetchPlaintext } from '#functions/index/segment-object.ts';
import type { LocalCloud } from '#local/local-cloud.ts';

/**
 * Stores `segment`'s bytes as `alter` changes them (same length) under `serverId`, with a digest that
 * matches, as a host whose server wrote them would: returns its announcement.
 */
export async function alteredSegment(
  cloud: LocalCloud,
  config: FunctionConfig<'indexer'>,
  serverId: string,
  segment: SegmentAnnouncement,
  alter: (plain: Buffer) => void | Promise<void>,
): Promise<SegmentAnnouncement> {
  const plain = Buffer.from(
    await fetchPlaintext(config.backupBucket, segment.key, segment.sha256, segment.codec),
  );
  await alter(plain);
  const sha256 = sha256Hex(plain);
  const stored = zstdCompressSync(plain);
  const key = `servers/${serverId}/redo/${segment.seq}/${segment.firstOffset}-${segment.lastOffset}.${sha256}`;
  await cloud.clients.s3.send(
    new PutObjectCommand({
      Bucket: config.backupBucket,
      Key: key,
      Body: stored,
      Metadata: { sha256, codec: 'zstd', size: String(plain.length) },
    }),
  );
  return { ...segment, serverId, key, sha256, storedSize: stored.length };
}
