import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentStateError } from '#agent/errors.ts';
import { syncDirectory, writeDurably } from '#agent/ship/durable-file.ts';
import type { EncodedEntry } from '#agent/ship/spool-entries.ts';
import { fileBody, type UploadBody } from '#agent/ship/upload-body.ts';

/** One spooled object: a redo segment, a file seal (final header) or an LDAP dump, ready to upload and announce. */
export interface SpoolEntry {
  /** Sorts in shipping order: sequence, then offsets, zero-padded. */
  id: string;
  kind: 'segment' | 'seal' | 'ldap' | 'scan' | 'pack';
  /** Redo file sequence (decimal); '' for LDAP dumps. */
  sequence: string;
  first: number;
  last: number;
  key: string;
  /** SHA-256 of the plaintext. */
  sha256: string;
  size: number;
  storedSize: number;
  codec: 'zstd' | 'none';
  firstOpTime?: number;
  lastOpTime?: number;
  torn?: boolean;
  entries?: number;
  /** Bodies in a pack (kind `pack`). */
  bodies?: number;
  /** A scan snapshot's identity (kind `scan`). */
  scan?: {
    scanId: string;
    scanKind: 'full' | 'smart';
    mailboxId: number;
    accountId: string;
    items: number;
    takenAt: string;
  };
  spooledAt: string;
}

const META = '.json';
const DATA = '.data';
const UPLOADED = '.uploaded';

/**
 * Durable queue of objects waiting for S3 and SQS. An entry exists once its metadata file does (written
 * after its data, both fsynced), so a crash never leaves a half entry that looks whole.
 */
export class Spool {
  readonly dir: string;
  private readonly entries = new Map<string, SpoolEntry & { uploaded: boolean }>();

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Loads the entries on disk and removes leftovers of interrupted writes. */
  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const names = await readdir(this.dir);
    const ids = new Set(names.filter((n) => n.endsWith(META)).map((n) => n.slice(0, -META.length)));
    for (const name of names) {
      const id = name.replace(/\.(data|json|uploaded)$/, '');
      if (name.includes('.tmp-') || !ids.has(id)) await rm(join(this.dir, name), { force: true });
    }
    for (const id of ids) {
      let entry: SpoolEntry;
      try {
        entry = JSON.parse(await readFile(join(this.dir, id + META), 'utf8')) as SpoolEntry;
        const size = (await stat(join(this.dir, id + DATA))).size;
        if (size !== entry.storedSize)
          throw new Error(`data is ${size} bytes, metadata says ${entry.storedSize}`);
      } catch (error) {
        throw new AgentStateError(
          `spool entry ${id} in ${this.dir} is damaged (${(error as Error).message}); ` +
            'it cannot be shipped: move it aside, and ship the range again with a new state directory if the log still holds it',
          { cause: error },
        );
      }
      const uploaded = names.includes(id + UPLOADED);
      this.entries.set(id, { ...entry, uploaded });
    }
  }

  async put(entry: SpoolEntry, stored: Uint8Array): Promise<void> {
    await writeDurably(join(this.dir, entry.id + DATA), stored);
    await writeDurably(join(this.dir, entry.id + META), JSON.stringify(entry));
    this.entries.set(entry.id, { ...entry, uploaded: false });
  }

  /**
   * Takes a data file written elsewhere in the spool directory (named with `.tmp-`, so an interrupted
   * write is cleaned up at open) as the entry's data: fsync, rename, then the metadata.
   */
  async adopt(entry: SpoolEntry, dataFile: string): Promise<void> {
    const handle = await open(dataFile, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(dataFile, join(this.dir, entry.id + DATA));
    await writeDurably(join(this.dir, entry.id + META), JSON.stringify(entry));
    this.entries.set(entry.id, { ...entry, uploaded: false });
  }

  /** Spools an encoded entry, whether its data is in memory or in a scratch file of the spool. */
  store(encoded: EncodedEntry): Promise<void> {
    return 'file' in encoded
      ? this.adopt(encoded.entry, encoded.file)
      : this.put(encoded.entry, encoded.stored);
  }

  /** Lets an encoding go unspooled: its scratch file, if it made one, is removed once it is done. */
  async discard(encoding: Promise<EncodedEntry>): Promise<void> {
    const encoded = await encoding.catch(() => undefined);
    if (encoded && 'file' in encoded) await rm(encoded.file, { force: true });
  }

  /** A path for a data file being written (see `adopt`). */
  scratch(name: string): string {
    return join(this.dir, `${name}.tmp-${process.pid}`);
  }

  /** Entries in shipping order. */
  list(): (SpoolEntry & { uploaded: boolean })[] {
    return [...this.entries.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** An entry's stored bytes, read from its file as they are sent. */
  body(entry: SpoolEntry): UploadBody {
    return fileBody(join(this.dir, entry.id + DATA), entry.storedSize);
  }

  async markUploaded(id: string): Promise<void> {
    await writeDurably(join(this.dir, id + UPLOADED), '');
    const entry = this.entries.get(id);
    if (entry) entry.uploaded = true;
  }

  remove(id: string): Promise<void> {
    return this.removeAll([id]);
  }

  /**
   * Removes entries with one sync of the directory. Metadata first: a crash after it leaves only data,
   * which `open` removes.
   */
  async removeAll(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      await rm(join(this.dir, id + META), { force: true });
      await rm(join(this.dir, id + UPLOADED), { force: true });
      await rm(join(this.dir, id + DATA), { force: true });
    }
    await syncDirectory(this.dir);
    for (const id of ids) this.entries.delete(id);
  }

  /** Bytes held (stored, compressed sizes). */
  usage(): number {
    let bytes = 0;
    for (const e of this.entries.values()) bytes += e.storedSize;
    return bytes;
  }
}

/** Zero-padded so that lexical order is shipping order (LDAP dumps use `ldap-<time>`, after all redo). */
export function spoolId(
  kind: SpoolEntry['kind'],
  sequence: bigint | string,
  first: number,
  last: number,
): string {
  const pad = (v: bigint | string | number) => String(v).padStart(20, '0');
  return `${pad(sequence)}-${pad(first)}-${pad(last)}-${kind}`;
}

/** LDAP dumps sort after every redo entry, among themselves by time. */
export function ldapSpoolId(dumpedAt: Date): string {
  return `ldap-${dumpedAt.toISOString().replace(/[-:.]/g, '')}`;
}

/**
 * A scan sits right after the redo before its cut and before the redo after it (and other scans there).
 * The tag (cut time and scan id) keeps two snapshots of a mailbox at one cut apart (announcements are
 * deduplicated by id).
 */
export function scanSpoolId(sequence: string, offset: number, mailboxId: number, tag: string): string {
  return `${spoolId('scan', sequence, offset, offset)}-${String(mailboxId).padStart(10, '0')}-${tag}`;
}
