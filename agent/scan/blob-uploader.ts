import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { zstdCompress } from 'node:zlib';
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { RateLimiter } from '#agent/ship/rate-limiter.ts';
import { isPreconditionFailed } from '#agent/ship/upload-object.ts';
import { attachmentsOf } from '#core/index/message-summary.ts';
import { blobStorePath } from '#core/scan/blob-store-path.ts';
import { plainBlob } from '#core/scan/plain-blob.ts';
import { sha256OfDigest } from '#core/scan/scan-snapshot.ts';
import { blobKey } from '#core/storage/body-keys.ts';
import { sha256Hex, zimbraDigest } from '#core/zimbra-digest.ts';

const compress = promisify(zstdCompress);

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
  s3: S3Client;
  bucket: string;
  /** Volume id (`locator`) → the volume's root directory. */
  volumes: Readonly<Record<string, string>>;
  limiter: RateLimiter;
}

/**
 * Stores blobs from the server's blob store in the content-addressed store (`blobs/<sha256>`, zstd, the
 * layout the indexer writes redo bodies in), each once: a digest stored earlier in this run is skipped
 * without a request, one stored by an earlier run or by the indexer costs one HEAD. Every file is checked
 * against the digest the database recorded before it is believed.
 */
export class BlobUploader {
  private readonly options: BlobUploaderOptions;
  /** SHA-256s known to be in the store (this run). */
  private readonly stored = new Set<string>();
  /** False once a HEAD was refused: the agent's identity writes, and reads nothing. */
  private readable = true;

  /** Whether the agent may ask the bucket which blobs it holds (HEAD); else it asks the agent API. */
  get mayRead(): boolean {
    return this.readable;
  }

  /** Digests the store holds for sure (the agent API said so): not sent again. */
  markKnown(shas: Iterable<string>): void {
    for (const sha of shas) this.stored.add(sha);
  }
  readonly counts = { uploaded: 0, present: 0, skipped: 0, bytesRead: 0, bytesStored: 0, requests: 0 };

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
    if (known && (await this.present(known))) return { state: 'present', sha256: known, bytes: 0 };
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
    if (!known && (await this.present(sha256))) return { state: 'present', sha256, bytes: 0, ...attachments };
    const body = await compress(plain);
    this.counts.requests++;
    try {
      await this.options.s3.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: blobKey(sha256),
          Body: body,
          ContentLength: body.length,
          Metadata: { sha256, codec: 'zstd', size: String(plain.length) },
          // Written once: a blob that exists (stored meanwhile, or unseen by a write-only agent) stays.
          IfNoneMatch: '*',
        }),
        signal ? { abortSignal: signal } : {},
      );
    } catch (error) {
      if (!isPreconditionFailed(error)) throw error;
      this.stored.add(sha256);
      this.counts.present++;
      return { state: 'present', sha256, bytes: 0, ...attachments };
    }
    this.stored.add(sha256);
    this.counts.uploaded++;
    this.counts.bytesStored += body.length;
    return { state: 'uploaded', sha256, bytes: body.length, ...attachments };
  }

  /**
   * In the store already (same digest in its metadata)? Remembered either way it is found. An agent whose
   * identity may not read the bucket (403) stops asking: its write-once puts answer the question instead.
   */
  private async present(sha256: string): Promise<boolean> {
    if (!this.readable) return false;
    this.counts.requests++;
    try {
      const head = await this.options.s3.send(
        new HeadObjectCommand({ Bucket: this.options.bucket, Key: blobKey(sha256) }),
      );
      if (head.Metadata?.sha256 !== sha256) return false;
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || (error as { name?: string }).name === 'NotFound') return false;
      if (status === 403) {
        this.readable = false;
        return false;
      }
      throw error;
    }
    this.stored.add(sha256);
    this.counts.present++;
    return true;
  }
}
