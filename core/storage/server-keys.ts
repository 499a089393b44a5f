// Where a server's objects live in the bucket (`servers/<serverId>/…`): the agent builds these keys, and a
// reindex that lost its catalog reads the objects back from them, so the layout is written down once.
import { BUCKET } from '#core/storage/bucket-layout.ts';

const SHA = '[0-9a-f]{64}';
const DECIMAL = '(?:0|[1-9]\\d{0,18})';

/** The prefix of every object a server ships. */
export const serverPrefix = (serverId: string) => `${BUCKET.servers}${serverId}/`;

/** ISO time without `-` and `:` (S3 keys stay readable and sort by time). */
const compactTime = (iso: string) => iso.replace(/[-:]/g, '');

export const serverKeys = {
  segment: (serverId: string, seq: string, first: number | string, last: number | string, sha256: string) =>
    `${serverPrefix(serverId)}redo/${seq}/${first}-${last}.${sha256}`,
  /** The final 512-byte header of a rolled-over redo file. */
  seal: (serverId: string, seq: string, size: number | string, sha256: string) =>
    `${serverPrefix(serverId)}redo/${seq}/sealed-${size}.${sha256}`,
  ldapDump: (serverId: string, dumpedAt: string, sha256: string) =>
    `${serverPrefix(serverId)}ldap/${compactTime(dumpedAt)}.${sha256}`,
  scan: (serverId: string, accountId: string, takenAt: string, sha256: string) =>
    `${serverPrefix(serverId)}scans/${accountId}/${compactTime(takenAt)}.${sha256}`,
  /** A pack of bodies a scan read (the digest is the pack's own). */
  bodyPack: (serverId: string, packedAt: string, sha256: string) =>
    `${serverPrefix(serverId)}packs/${compactTime(packedAt)}.${sha256}`,
} as const;

export type ServerObject =
  | { kind: 'segment'; seq: string; firstOffset: string; lastOffset: string; sha256: string }
  | { kind: 'seal'; seq: string; size: string; sha256: string }
  | { kind: 'ldap-dump'; dumpedAt: string; sha256: string }
  | { kind: 'scan'; accountId: string; takenAt: string; sha256: string }
  | { kind: 'body-pack'; packedAt: string; sha256: string };

const SEGMENT = new RegExp(`^redo/(${DECIMAL})/(${DECIMAL})-(${DECIMAL})\\.(${SHA})$`);
const SEAL = new RegExp(`^redo/(${DECIMAL})/sealed-(${DECIMAL})\\.(${SHA})$`);
const TIME = '(\\d{8}T\\d{6}(?:\\.\\d{1,9})?Z)';
const LDAP = new RegExp(`^ldap/${TIME}\\.(${SHA})$`);
const SCAN = new RegExp(`^scans/([^/]{1,127})/${TIME}\\.(${SHA})$`);
const PACK = new RegExp(`^packs/${TIME}\\.(${SHA})$`);

/** `20261205T140325.123Z` → `2026-12-05T14:03:25.123Z`. */
function isoOf(compact: string): string {
  return `${compact.slice(0, 4)}-${compact.slice(4, 6)}-${compact.slice(6, 8)}T${compact.slice(9, 11)}:${compact.slice(11, 13)}:${compact.slice(13)}`;
}

/**
 * What an object key under `servers/<serverId>/` names, or undefined for a key that is none of the server's
 * objects (it is then left alone and reported, never guessed at).
 */
export function parseServerObjectKey(serverId: string, key: string): ServerObject | undefined {
  const prefix = serverPrefix(serverId);
  if (!key.startsWith(prefix)) return undefined;
  const rest = key.slice(prefix.length);
  let m = SEGMENT.exec(rest);
  if (m) {
    const [, seq, firstOffset, lastOffset, sha256] = m as unknown as [string, string, string, string, string];
    return BigInt(firstOffset) < BigInt(lastOffset)
      ? { kind: 'segment', seq, firstOffset, lastOffset, sha256 }
      : undefined;
  }
  m = SEAL.exec(rest);
  if (m) {
    const [, seq, size, sha256] = m as unknown as [string, string, string, string];
    return { kind: 'seal', seq, size, sha256 };
  }
  m = LDAP.exec(rest);
  if (m) {
    const [, time, sha256] = m as unknown as [string, string, string];
    const dumpedAt = isoOf(time);
    return Number.isNaN(Date.parse(dumpedAt)) ? undefined : { kind: 'ldap-dump', dumpedAt, sha256 };
  }
  m = SCAN.exec(rest);
  if (m) {
    const [, accountId, time, sha256] = m as unknown as [string, string, string, string];
    const takenAt = isoOf(time);
    return Number.isNaN(Date.parse(takenAt)) ? undefined : { kind: 'scan', accountId, takenAt, sha256 };
  }
  m = PACK.exec(rest);
  if (m) {
    const [, time, sha256] = m as unknown as [string, string, string];
    const packedAt = isoOf(time);
    return Number.isNaN(Date.parse(packedAt)) ? undefined : { kind: 'body-pack', packedAt, sha256 };
  }
  return undefined;
}
