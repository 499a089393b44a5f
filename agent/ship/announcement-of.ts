import { createHash } from 'node:crypto';
import { AgentStateError } from '#agent/errors.ts';
import type { SpoolEntry } from '#agent/ship/spool.ts';
import type { IngestMessage } from '#core/announcement.ts';

/** The ingest-queue message that announces an uploaded spool entry. */
export function announcementOf(serverId: string, entry: SpoolEntry, shippedAt = new Date()): IngestMessage {
  const common = {
    serverId,
    key: entry.key,
    sha256: entry.sha256,
    storedSize: entry.storedSize,
    shippedAt: shippedAt.toISOString(),
  };
  switch (entry.kind) {
    case 'segment':
      return {
        type: 'redo-segment',
        ...common,
        seq: entry.sequence,
        firstOffset: String(entry.first),
        lastOffset: String(entry.last),
        size: entry.size,
        codec: entry.codec,
        ...(entry.firstOpTime !== undefined
          ? { firstOpTime: new Date(entry.firstOpTime).toISOString() }
          : {}),
        ...(entry.lastOpTime !== undefined ? { lastOpTime: new Date(entry.lastOpTime).toISOString() } : {}),
      };
    case 'seal':
      return {
        type: 'redo-seal',
        ...common,
        seq: entry.sequence,
        size: String(entry.last),
        torn: entry.torn ?? false,
      };
    case 'scan':
      if (!entry.scan)
        throw new AgentStateError(
          `spool entry ${entry.id} is a scan snapshot without its scan's identity: remove it from the spool and scan again`,
        );
      return {
        type: 'scan-snapshot',
        ...common,
        size: entry.size,
        codec: entry.codec,
        seq: entry.sequence,
        offset: String(entry.first),
        ...entry.scan,
      };
    case 'pack':
      return {
        type: 'body-pack',
        ...common,
        size: entry.size,
        codec: 'none',
        bodies: entry.bodies ?? 0,
        packedAt: entry.spooledAt,
      };
    case 'ldap':
      return {
        type: 'ldap-dump',
        ...common,
        size: entry.size,
        codec: entry.codec,
        entries: entry.entries ?? 0,
        dumpedAt: entry.spooledAt,
      };
  }
}

/**
 * The entry's identity (server + spool id, hashed to fit 128 characters): a re-announcement after a crash is
 * dropped by SQS or ignored by the indexer, while equal offsets of two servers never collide (deduplication
 * is per queue, not per message group).
 */
export function deduplicationId(serverId: string, entryId: string): string {
  return createHash('sha256').update(`${serverId}\0${entryId}`).digest('hex');
}
