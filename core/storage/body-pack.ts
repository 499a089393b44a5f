import { randomBytes } from 'node:crypto';
import { crc32, zstdCompressSync } from 'node:zlib';
import { OffsiteError } from '#core/errors.ts';
import { PlaintextError, plaintextOf } from '#core/storage/plaintext.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';

// A pack is one immutable object holding many message bodies, so that a GB of small mail is a few dozen
// objects (requests, and the 128 KiB minimum of the colder storage classes) instead of a hundred thousand:
//
//   frame… | trailer (UTF-8 JSON) | footer: "OFFPACK1" · trailer length (u32 BE) · CRC-32 of the trailer (u32 BE)
//
// Each body is its own frame, compressed alone, so a ranged GET of its bytes decodes it without the rest.
// The index holds every body's location; the trailer repeats it so a pack can be read (and the index
// rebuilt) from the bucket alone.

export const PACK_FORMAT = 'offsite-pack/1';
const MAGIC = Buffer.from('OFFPACK1', 'latin1');
export const PACK_FOOTER_BYTES = 16;
/** Version of the frame encoding a location names (with `codec`): a new one may follow without a new layout. */
export const FRAME_VERSION = 1;
/** The key id of a body stored without client-side encryption (per-mailbox keys may follow). */
export const PLAINTEXT_KEY = 'none';

export type FrameCodec = 'zstd' | 'none';

/** Where one body lies in its pack, and how its frame decodes. */
export interface PackedBody {
  readonly sha256: string;
  readonly offset: number;
  /** Bytes of the frame. */
  readonly length: number;
  /** Bytes of the body (its plaintext). */
  readonly size: number;
  readonly codec: FrameCodec;
  readonly keyId: string;
}

/** A pack or one of its frames that is not what it claims to be. */
export class PackError extends OffsiteError {
  override readonly name = 'PackError';
  /** The frame decodes, to other bytes than its digest names. */
  readonly digestMismatch: boolean;
  constructor(message: string, options: { cause?: unknown; digestMismatch?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.digestMismatch = options.digestMismatch ?? false;
  }
}

export interface EncodedPack {
  readonly bytes: Buffer;
  readonly bodies: readonly PackedBody[];
  /** SHA-256 of the whole pack: its name (unique, as every pack carries a random nonce). */
  readonly sha256: string;
}

/**
 * Packs bodies, each once (by digest), in the order given. A body that zstd does not shrink is stored as it
 * is. The caller has checked each body against its digest.
 */
export function encodePack(bodies: readonly { sha256: string; content: Uint8Array }[]): EncodedPack {
  const frames: Buffer[] = [];
  const entries: PackedBody[] = [];
  const seen = new Set<string>();
  let offset = 0;
  for (const body of bodies) {
    if (seen.has(body.sha256)) continue;
    seen.add(body.sha256);
    const plain = Buffer.from(body.content.buffer, body.content.byteOffset, body.content.byteLength);
    const packed = zstdCompressSync(plain);
    const [frame, codec]: [Buffer, FrameCodec] =
      packed.length < plain.length ? [packed, 'zstd'] : [plain, 'none'];
    frames.push(frame);
    entries.push({
      sha256: body.sha256,
      offset,
      length: frame.length,
      size: plain.length,
      codec,
      keyId: PLAINTEXT_KEY,
    });
    offset += frame.length;
  }
  const trailer = Buffer.from(
    JSON.stringify({
      format: PACK_FORMAT,
      frame: FRAME_VERSION,
      // Two packs of the same bodies are two objects: a pack a repack is deleting can never be the one an
      // indexer writes anew with the same content.
      nonce: randomBytes(16).toString('hex'),
      bodies: entries.map((e) => [e.sha256, e.offset, e.length, e.size, e.codec, e.keyId]),
    }),
  );
  const footer = Buffer.alloc(PACK_FOOTER_BYTES);
  MAGIC.copy(footer, 0);
  footer.writeUInt32BE(trailer.length, 8);
  footer.writeUInt32BE(crc32(trailer), 12);
  const bytes = Buffer.concat([...frames, trailer, footer]);
  return { bytes, bodies: entries, sha256: sha256Hex(bytes) };
}

/** The trailer's length, read from a pack's last 16 bytes. */
export function trailerLength(footer: Uint8Array): number {
  const bytes = Buffer.from(footer.buffer, footer.byteOffset, footer.byteLength);
  if (bytes.length !== PACK_FOOTER_BYTES || !bytes.subarray(0, 8).equals(MAGIC))
    throw new PackError('does not end with a pack footer (OFFPACK1)');
  return bytes.readUInt32BE(8);
}

const SHA = /^[0-9a-f]{64}$/;

/**
 * The bodies a pack's trailer lists. `tail` is the end of the pack (at least trailer and footer);
 * `packSize` the whole pack's size, so every location is checked to lie in the frames before the trailer.
 */
export function readTrailer(tail: Uint8Array, packSize: number): PackedBody[] {
  const bytes = Buffer.from(tail.buffer, tail.byteOffset, tail.byteLength);
  if (bytes.length < PACK_FOOTER_BYTES) throw new PackError('is shorter than a pack footer');
  const footer = bytes.subarray(bytes.length - PACK_FOOTER_BYTES);
  const length = trailerLength(footer);
  if (length + PACK_FOOTER_BYTES > bytes.length || length + PACK_FOOTER_BYTES > packSize)
    throw new PackError(`names a trailer of ${length} bytes that is not there`);
  const trailer = bytes.subarray(bytes.length - PACK_FOOTER_BYTES - length, bytes.length - PACK_FOOTER_BYTES);
  if (crc32(trailer) !== footer.readUInt32BE(12))
    throw new PackError('has a damaged trailer (CRC-32 mismatch)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(trailer.toString('utf8'));
  } catch (cause) {
    throw new PackError('has a trailer that is not JSON', { cause });
  }
  const doc = parsed as { format?: unknown; bodies?: unknown };
  if (doc.format !== PACK_FORMAT || !Array.isArray(doc.bodies))
    throw new PackError(`has a trailer that is not ${PACK_FORMAT}`);
  const framesEnd = packSize - PACK_FOOTER_BYTES - length;
  return doc.bodies.map((row: unknown, i: number) => {
    const body = packedBody(row);
    if (!body) throw new PackError(`has a trailer whose entry ${i} is not a body location`);
    if (body.offset + body.length > framesEnd)
      throw new PackError(`has a trailer whose entry ${i} lies past the frames`);
    return body;
  });
}

function packedBody(row: unknown): PackedBody | undefined {
  if (!Array.isArray(row) || row.length !== 6) return undefined;
  const [sha256, offset, length, size, codec, keyId] = row as unknown[];
  const natural = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
  if (typeof sha256 !== 'string' || !SHA.test(sha256)) return undefined;
  if (!natural(offset) || !natural(length) || !natural(size)) return undefined;
  if ((codec !== 'zstd' && codec !== 'none') || typeof keyId !== 'string') return undefined;
  return { sha256, offset, length, size, codec, keyId };
}

/**
 * A body out of its frame: decoded by its codec, never past its recorded size, and checked against its
 * digest. Throws a PackError naming what is wrong with a frame that is not that body.
 */
export function bodyOfFrame(
  frame: Uint8Array,
  body: Pick<PackedBody, 'sha256' | 'size' | 'codec' | 'keyId'>,
): Buffer {
  if (body.keyId !== PLAINTEXT_KEY)
    throw new PackError(`is encrypted with key ${body.keyId}, which this release cannot read`);
  let plain: Buffer;
  try {
    plain = plaintextOf(frame, body.codec, body.size);
  } catch (cause) {
    if (cause instanceof PlaintextError) throw new PackError(cause.message, { cause });
    throw cause;
  }
  const actual = sha256Hex(plain);
  if (actual !== body.sha256)
    throw new PackError(`holds content with SHA-256 ${actual}`, { digestMismatch: true });
  return plain;
}
