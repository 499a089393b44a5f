import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RateLimiter } from '#agent/ship/rate-limiter.ts';
import { attachmentsOf } from '#core/index/message-summary.ts';
import { blobStorePath } from '#core/scan/blob-store-path.ts';
import { DigestSet } from '#core/scan/digest-set.ts';
import { plainBlob } from '#core/scan/plain-blob.ts';
import { sha256OfDigest } from '#core/scan/scan-snapshot.ts';
import { encodePack } from '#core/storage/body-pack.ts';
import { sha256Hex, zimbraDigest } from '#core/zimbra-digest.ts';

/** A blob a mail_item row points at. */
export interface BlobRef {
  mailboxId: number;
  itemId: number;
  digest: string;
  volumeId: string | null;
  modContent: number;
}

/** Why a blob could not be stored; the item is still recorded, its body reported missing. */
export type BlobProblem = 'missing-file' | 'unknown-volume' | 'digest-mismatch' | 'read-error';

export type BlobOutcome =
  | {
      state: 'uploaded' | 'present';
      sha256: string;
      bytes: number;
      /** The names of a message's attachments, when its bytes were read (a search hint). */
      attachments?: string[];
    }
  | { state: BlobProblem; detail: string };

export interface BlobUploaderOptions {
  /** Volume id (`locator`) → the volume's root directory. */
  volumes: Readonly<Record<string, string>>;
  limiter: RateLimiter;
  /** Spools a pack (the shipper uploads and announces it in its place in the stream). */
  spoolPack: (pack: { bytes: Buffer; sha256: string; bodies: number }) => Promise<void>;
  /** A pack closes once it holds this many bytes of bodies. */
  packBytes?: number;
  /** Which of these bodies the store has for sure (the agent API); without it, only this run's are known. */
  known?: (sha256s: string[]) => Promise<string[]>;
}

/**
 * Reads blobs from the server's blob store into packs (`offsite-pack/1`, a zstd frame per body, the format
 * the indexer keeps bodies in), each body once: a digest packed earlier in this run, or one the agent API
 * says the store has, is skipped without reading it. Every file is checked against the digest the database
 * recorded before it is believed. A pack is spooled when it is full and whenever `flush` is called (before
 * a snapshot that names its bodies is cut), so a snapshot never names a body no pack carries.
 */
export class BlobUploader {
  private readonly options: BlobUploaderOptions;
  /** SHA-256s known to be stored or packed (this run): a scan of a large server adds millions. */
  private readonly stored = new DigestSet();
  private pending: { sha256: string; content: Buffer }[] = [];
  private pendingBytes = 0;
  private flushing: Promise<void> = Promise.resolve();

  /** Digests the store holds for sure (the agent API said so): not sent again. */
  markKnown(shas: Iterable<string>): void {
    // An answer that is not a digest names no body this run could ask about.
    for (const sha of shas) if (DigestSet.isDigest(sha)) this.stored.add(sha);
  }

  /**
   * Asks the store, in one request, about the blobs of a page of rows (by their database digests) that this
   * run has not seen: those it has are then skipped without reading their files. Unanswered, they are read
   * and sent (the indexer keeps each body once whatever it is sent).
   */
  async prefetch(digests: Iterable<string>): Promise<void> {
    const ask = [...new Set([...digests].flatMap((d) => sha256OfDigest(d) ?? []))].filter(
      (s) => !this.stored.has(s),
    );
    if (ask.length > 0 && this.options.known) this.markKnown(await this.options.known(ask).catch(() => []));
  }
  readonly counts = { uploaded: 0, present: 0, skipped: 0, bytesRead: 0, bytesStored: 0, packs: 0 };

  constructor(options: BlobUploaderOptions) {
    this.options = options;
  }

  /** The blob file's path, or undefined when its volume is not configured. */
  pathOf(ref: BlobRef): string | undefined {
    const root = ref.volumeId === null ? undefined : this.options.volumes[ref.volumeId];
    return root && join(root, blobStorePath(ref.mailboxId, ref.itemId, ref.modContent));
  }

  async ensure(ref: BlobRef, signal?: AbortSignal): Promise<BlobOutcome> {
    const known = sha256OfDigest(ref.digest);
    if (known && this.stored.has(known)) {
      this.counts.skipped++;
      return { state: 'present', sha256: known, bytes: 0 };
    }
    const path = this.pathOf(ref);
    if (!path) return { state: 'unknown-volume', detail: `volume ${ref.volumeId} is not in scan.volumes` };
    let plain: Buffer;
    try {
      const stored = await readFile(path);
      // Paced by what the server's disk gives up, so a scan never starves the mail server.
      await this.options.limiter.take(stored.length, signal);
      plain = plainBlob(stored);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { state: 'missing-file', detail: path };
      return { state: 'read-error', detail: `${path}: ${(error as Error).message}` };
    }
    this.counts.bytesRead += plain.length;
    // SHA-256 digests are compared as such; an older SHA-1 digest (28 characters) is trusted as recorded.
    if (ref.digest.length === 44 && zimbraDigest(plain) !== ref.digest)
      return { state: 'digest-mismatch', detail: `${path} does not hash to ${ref.digest}` };
    const sha256 = known ?? sha256Hex(plain);
    const names = attachmentsOf(plain);
    const attachments = names.length > 0 ? { attachments: names } : {};
    // An older (SHA-1) digest names no SHA-256: the store is asked once the bytes are hashed.
    if (!known && !this.stored.has(sha256) && this.options.known)
      this.markKnown(await this.options.known([sha256]).catch(() => []));
    if (this.stored.has(sha256)) {
      this.counts.present++;
      return { state: 'present', sha256, bytes: 0, ...attachments };
    }
    this.stored.add(sha256);
    this.pending.push({ sha256, content: plain });
    this.pendingBytes += plain.length;
    this.counts.uploaded++;
    if (this.pendingBytes >= (this.options.packBytes ?? PACK_BYTES)) await this.flush();
    return { state: 'uploaded', sha256, bytes: plain.length, ...attachments };
  }

  /** Spools what is packed so far (nothing when empty); flushes run one after the other. */
  flush(): Promise<void> {
    const bodies = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.flushing = this.flushing.then(async () => {
      if (bodies.length === 0) return;
      const pack = encodePack(bodies);
      await this.options.spoolPack({ bytes: pack.bytes, sha256: pack.sha256, bodies: pack.bodies.length });
      this.counts.packs++;
      this.counts.bytesStored += pack.bytes.length;
    });
    return this.flushing;
  }
}

/** Bodies per pack (plaintext bytes): large enough for few requests, small enough to hold in memory. */
const PACK_BYTES = 16 * 1024 * 1024;
