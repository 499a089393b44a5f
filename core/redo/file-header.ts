import { RedoHeaderError } from '#core/redo/errors.ts';
import { isTooHigh, type RedoVersion } from '#core/redo/version.ts';

export const FILE_HEADER_SIZE = 512;
const MAGIC = 'ZM_REDO';
const SERVER_ID_MAX = 127;

/** The 512-byte header at the start of every redo log file (spec §1). */
export interface RedoFileHeader {
  /** true: open now, or the writer died before closing it (fileSize, lastOpTime stale; tail may be torn). */
  open: boolean;
  /** Written on close only. */
  fileSize: number;
  sequence: bigint;
  serverId: string;
  firstOpTime: number;
  /** Written on close only. */
  lastOpTime: number;
  version: RedoVersion;
  createTime: number;
}

/** Parses the header from the first 512 bytes of a file. */
export function parseFileHeader(bytes: Buffer): RedoFileHeader {
  if (bytes.length < FILE_HEADER_SIZE) {
    throw new RedoHeaderError(
      `redo log header is ${FILE_HEADER_SIZE} bytes, the file has only ${bytes.length}: empty or truncated file`,
      0,
    );
  }
  const magic = bytes.toString('latin1', 0, 7);
  if (magic !== MAGIC) {
    throw new RedoHeaderError(`not a redo log: magic is ${JSON.stringify(magic)}, expected "${MAGIC}"`, 0);
  }
  const openByte = bytes.readUInt8(7);
  if (openByte > 1) throw new RedoHeaderError(`header "open" byte is ${openByte}, expected 0 or 1`, 7);
  const serverIdLen = bytes.readUInt8(24);
  if (serverIdLen > SERVER_ID_MAX) {
    throw new RedoHeaderError(`header server id length ${serverIdLen} exceeds ${SERVER_ID_MAX}`, 24);
  }
  let major = bytes.readInt16BE(168);
  let minor = bytes.readInt16BE(170);
  if (major < 0 || minor < 0) throw new RedoHeaderError(`header version ${major}.${minor} is negative`, 168);
  if (major === 0 && minor === 0) [major, minor] = [1, 0];
  const version = { major, minor };
  if (isTooHigh(version)) {
    throw new RedoHeaderError(`header version ${major}.${minor} is newer than this reader knows (1.42)`, 168);
  }
  return {
    open: openByte === 1,
    fileSize: safeNumber(bytes.readBigInt64BE(8), 8),
    sequence: bytes.readBigInt64BE(16),
    serverId: bytes.toString('utf8', 25, 25 + serverIdLen),
    firstOpTime: safeNumber(bytes.readBigInt64BE(152), 152),
    lastOpTime: safeNumber(bytes.readBigInt64BE(160), 160),
    version,
    createTime: safeNumber(bytes.readBigInt64BE(172), 172),
  };
}

/** Encodes a header (writer side: simulator and tests). */
export function encodeFileHeader(header: RedoFileHeader): Buffer {
  const out = Buffer.alloc(FILE_HEADER_SIZE);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt8(header.open ? 1 : 0, 7);
  out.writeBigInt64BE(BigInt(header.fileSize), 8);
  out.writeBigInt64BE(header.sequence, 16);
  const serverId = Buffer.from(header.serverId, 'utf8');
  if (serverId.length > SERVER_ID_MAX) {
    throw new RedoHeaderError(`server id is ${serverId.length} bytes, at most ${SERVER_ID_MAX} fit`, 24);
  }
  out.writeUInt8(serverId.length, 24);
  serverId.copy(out, 25);
  out.writeBigInt64BE(BigInt(header.firstOpTime), 152);
  out.writeBigInt64BE(BigInt(header.lastOpTime), 160);
  out.writeInt16BE(header.version.major, 168);
  out.writeInt16BE(header.version.minor, 170);
  out.writeBigInt64BE(BigInt(header.createTime), 172);
  return out;
}

function safeNumber(value: bigint, offset: number): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RedoHeaderError(`header field value ${value} is out of range`, offset);
  }
  return Number(value);
}
