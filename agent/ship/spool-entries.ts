import { createHash } from 'node:crypto';
import { AgentStateError } from '#agent/errors.ts';
import type { DirectoryDump } from '#agent/ldap/dump-directory.ts';
import { type CompressedFile, compressToFile } from '#agent/ship/compress-to-file.ts';
import { crashPoint } from '#agent/ship/crash-point.ts';
import type { FileSeal, SegmentCut } from '#agent/ship/segmenter.ts';
import { ldapSpoolId, type SpoolEntry, spoolId } from '#agent/ship/spool.ts';
import { FILE_HEADER_SIZE } from '#core/redo/file-header.ts';
import { serverKeys } from '#core/storage/server-keys.ts';

/** A spool entry and the bytes stored under its key: in memory, or written to a scratch file of the spool. */
export type EncodedEntry = HeldEntry | { entry: SpoolEntry; file: string };

/** A spool entry whose stored bytes are in memory (a seal's header, a scan's pack). */
export interface HeldEntry {
  entry: SpoolEntry;
  stored: Buffer;
}

function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Compresses a segment's bytes from its file into `scratch(id)` (a file of the spool, adopted when spooled),
 * digesting them on the way: memory does not grow with the segment's size.
 */
export async function encodeSegment(
  serverId: string,
  cut: SegmentCut,
  zstdLevel: number,
  scratch: (id: string) => string,
  now = new Date(),
): Promise<EncodedEntry> {
  const sequence = String(cut.sequence);
  const id = spoolId('segment', cut.sequence, cut.first, cut.last);
  const file = scratch(id);
  let compressed: CompressedFile;
  try {
    compressed = await compressToFile(cut.source, cut.first, cut.last - cut.first, zstdLevel, file);
    crashPoint('encoded');
  } catch (error) {
    if (!(error instanceof AgentStateError)) throw error;
    throw new AgentStateError(`redo file ${sequence}: ${error.message}`, { cause: error });
  }
  const entry: SpoolEntry = {
    id,
    kind: 'segment',
    sequence,
    first: cut.first,
    last: cut.last,
    key: serverKeys.segment(serverId, sequence, cut.first, cut.last, compressed.sha256),
    sha256: compressed.sha256,
    size: compressed.size,
    storedSize: compressed.storedSize,
    codec: 'zstd',
    ...(cut.firstOpTime !== undefined ? { firstOpTime: cut.firstOpTime } : {}),
    ...(cut.lastOpTime !== undefined ? { lastOpTime: cut.lastOpTime } : {}),
    spooledAt: now.toISOString(),
  };
  return { entry, file };
}

/** A rolled-over file's final header, so the file can be rebuilt whole. */
export async function encodeSeal(serverId: string, seal: FileSeal, now = new Date()): Promise<HeldEntry> {
  const sequence = String(seal.sequence);
  const stored = await seal.source.read(0, FILE_HEADER_SIZE);
  const sha256 = sha256Of(stored);
  const entry: SpoolEntry = {
    id: spoolId('seal', seal.sequence, seal.size, seal.size),
    kind: 'seal',
    sequence,
    first: seal.size,
    last: seal.size,
    key: serverKeys.seal(serverId, sequence, seal.size, sha256),
    sha256,
    size: stored.length,
    storedSize: stored.length,
    codec: 'none',
    torn: seal.torn,
    spooledAt: now.toISOString(),
  };
  return { entry, stored };
}

/** A directory dump's entry, its LDIF compressed into a file of the spool as it was read. */
export function ldapDumpEntry(serverId: string, dump: DirectoryDump, compressed: CompressedFile): SpoolEntry {
  const at = dump.dumpedAt.toISOString();
  return {
    id: ldapSpoolId(dump.dumpedAt),
    kind: 'ldap',
    sequence: '',
    first: 0,
    last: 0,
    key: serverKeys.ldapDump(serverId, at, compressed.sha256),
    sha256: compressed.sha256,
    size: compressed.size,
    storedSize: compressed.storedSize,
    codec: 'zstd',
    entries: dump.entries,
    spooledAt: at,
  };
}

/**
 * A pack of bodies a scan read, placed where the log has been read to (`cursor`): announced after the
 * redo before it and before any scan cut after it, so the snapshots that name its bodies come after it.
 */
export function bodyPackEntry(
  serverId: string,
  cursor: { sequence: string; offset: number },
  pack: { bytes: Buffer; sha256: string; bodies: number },
  now = new Date(),
): HeldEntry {
  const at = now.toISOString();
  const entry: SpoolEntry = {
    id: `${spoolId('pack', cursor.sequence, cursor.offset, cursor.offset)}-${pack.sha256.slice(0, 16)}`,
    kind: 'pack',
    sequence: cursor.sequence,
    first: cursor.offset,
    last: cursor.offset,
    key: serverKeys.bodyPack(serverId, at, pack.sha256),
    sha256: pack.sha256,
    size: pack.bytes.length,
    storedSize: pack.bytes.length,
    codec: 'none',
    bodies: pack.bodies,
    spooledAt: at,
  };
  return { entry, stored: pack.bytes };
}
