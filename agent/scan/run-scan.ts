import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Connection } from 'mariadb';
import type { AgentConfig } from '#agent/config/agent-config.ts';
import { ScanError } from '#agent/errors.ts';
import type { AgentLog } from '#agent/observability.ts';
import { type BlobOutcome, type BlobRef, BlobUploader } from '#agent/scan/blob-uploader.ts';
import { type ItemRow, listMailboxes, type MailboxRow, readMailbox } from '#agent/scan/mailbox-source.ts';
import { ScanLedger } from '#agent/scan/scan-ledger.ts';
import { CompressedFileWriter } from '#agent/ship/compress-to-file.ts';
import { RateLimiter } from '#agent/ship/rate-limiter.ts';
import type { ScanCut } from '#agent/ship/scan-cuts.ts';
import type { Shipper } from '#agent/ship/shipper.ts';
import { calendarItemOfMetadata } from '#core/calendar/invite-metadata.ts';
import { inParallel } from '#core/in-parallel.ts';
import { itemTypeName } from '#core/mail-item.ts';
import { SECRET_CONFIG_SECTIONS } from '#core/mail-snapshot.ts';
import { customOfMetadataText } from '#core/scan/custom-data.ts';
import { folderOfRow } from '#core/scan/folder-of-row.ts';
import { mailboxGroupDatabase } from '#core/scan/mailbox-group.ts';
import {
  SCAN_FORMAT,
  type ScanHeader,
  type ScanKind,
  type ScanLine,
  type ScanNote,
  sha256OfDigest,
} from '#core/scan/scan-snapshot.ts';
import { decodeMetadataMap, type MetadataValue } from '#core/scan/zimbra-metadata.ts';
import { serverKeys } from '#core/storage/server-keys.ts';

const MiB = 1024 * 1024;
/** The count of the scan report each item line adds to. */
const COUNTED_AS = {
  message: 'messages',
  contact: 'contacts',
  calendar: 'calendar',
  document: 'documents',
  note: 'notes',
} as const;
const PAGE = 1000;
const MAX_PROBLEMS = 1000;
/** Snapshot lines go to the compressor in pieces of about this many characters (one thread-pool task each). */
const SNAPSHOT_PIECE = 64 * 1024;

export interface ScanRequest {
  kind: ScanKind;
  accounts?: string[];
  domains?: string[];
  all?: boolean;
  /** Drop an interrupted scan instead of resuming it. */
  restart?: boolean;
  /** Smart scan: rescan unchanged mailboxes too (they may have been damaged in the index). */
  verify?: boolean;
  /** Mailboxes the index holds: any the server does not have are scanned as absent. */
  indexed?: { mailboxId: number; accountId: string }[];
}

export interface ScanProgress {
  mailboxesDone: number;
  mailboxesTotal: number;
  account: string;
  items: number;
  blobsUploaded: number;
  bytesRead: number;
}

export interface ScanProblem {
  mailboxId: number;
  account: string;
  itemId?: number;
  problem: string;
  detail: string;
}

export interface ScanReport {
  scanId: string;
  kind: ScanKind;
  resumed: boolean;
  startedAt: string;
  finishedAt: string;
  mailboxes: { selected: number; scanned: number; unchanged: number; vanished: number };
  items: ItemCounts;
  blobs: {
    uploaded: number;
    present: number;
    skipped: number;
    bytesRead: number;
    bytesStored: number;
    /** Packs spooled (each one PUT and one announcement). */
    packs: number;
  };
  problems: ScanProblem[];
  problemCount: number;
}

export interface ScanDeps {
  config: AgentConfig;
  shipper: Shipper;
  s3: S3Client;
  /** Lists the mailboxes and scans one at a time. */
  db: Connection;
  /**
   * Opens one more connection to the mailbox database, so `scan.mailboxConcurrency` mailboxes are read at once
   * (each reads in a transaction of its own); the scan closes what it opens. Without it, one at a time.
   */
  connect?: () => Promise<Connection>;
  log: AgentLog;
  onProgress?: (progress: ScanProgress) => void;
  signal?: AbortSignal;
  /**
   * Which of these bodies the store holds for sure (the agent API, answered from the index): asked when the
   * agent's identity may not read the bucket, so bodies stored already are not sent again.
   */
  knownBlobs?: (sha256s: string[]) => Promise<string[]>;
}

/**
 * Scans the server's mailboxes into the backup: every blob the database points at is stored once
 * (deduplicated by digest across mailboxes and runs), then each mailbox is read in one consistent snapshot
 * at a cut of the redo stream and shipped as a scan snapshot, which the indexer applies at that cut. A
 * full scan takes every selected mailbox; a smart scan only those whose change mark moved since their
 * last scan. An interrupted scan resumes with the mailboxes it had left.
 */
export async function runScan(deps: ScanDeps, request: ScanRequest): Promise<ScanReport> {
  const { config, shipper, db, log } = deps;
  const selection = JSON.stringify({
    accounts: request.accounts ?? [],
    domains: request.domains ?? [],
    all: request.all ?? false,
  });
  const startedAt = new Date().toISOString();
  const all = await listMailboxes(db, config.mailboxDb?.groups ?? 100);
  const ledger = await ScanLedger.open(config.stateDir, shipper.state);
  // As it was before this scan: the ledger's own data changes as mailboxes are done.
  const previous = structuredClone(ledger.data);
  const interrupted = previous.current;
  let scanId: string;
  let todo: MailboxRow[];
  let resumed = false;
  let unchanged = 0;
  if (interrupted && !request.restart) {
    if (interrupted.kind !== request.kind || interrupted.selection !== selection)
      throw new ScanError(
        `an interrupted ${interrupted.kind} scan (${interrupted.scanId}, ${interrupted.done.length} of ${interrupted.mailboxes.length} mailboxes done) is in the way: run it again with the same selection to resume it, or pass --restart to drop it`,
      );
    scanId = interrupted.scanId;
    const done = new Set(interrupted.done);
    const wanted = new Set(interrupted.mailboxes);
    todo = all.filter((m) => wanted.has(m.mailboxId) && !done.has(m.mailboxId));
    resumed = true;
  } else {
    scanId = `${request.kind}-${startedAt.replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`;
    todo = select(all, request);
    if (request.all) {
      // Mailboxes an earlier scan saw that are gone now: their snapshot says so (the index may have missed
      // the deletion, say in redo that was lost).
      const listed = new Set(all.map((m) => String(m.mailboxId)));
      const gone = new Map<string, string>();
      for (const [id, last] of Object.entries(previous.mailboxes))
        if (!listed.has(id) && last.accountId) gone.set(id, last.accountId);
      for (const { mailboxId, accountId } of request.indexed ?? [])
        if (!listed.has(String(mailboxId))) gone.set(String(mailboxId), accountId);
      for (const [id, accountId] of gone)
        todo.push({
          mailboxId: Number(id),
          accountId,
          accountName: '',
          changeCheckpoint: -1,
          changeMark: '',
        });
    }
    if (request.kind === 'smart') {
      const before = todo.length;
      const verifyBefore = Date.now() - config.scan.verifyDays * 86_400_000;
      todo = todo.filter((m) => {
        const last = previous.mailboxes[String(m.mailboxId)];
        return (
          request.verify ||
          // A state an older agent wrote has no mark: scanned once more.
          last?.changeMark !== m.changeMark ||
          Date.parse(last.at) < verifyBefore
        );
      });
      unchanged = before - todo.length;
    }
  }
  await ledger.start({
    scanId,
    kind: request.kind,
    startedAt: resumed ? (interrupted?.startedAt ?? startedAt) : startedAt,
    mailboxes: resumed ? (interrupted?.mailboxes ?? []) : todo.map((m) => m.mailboxId),
    done: resumed ? [...(interrupted?.done ?? [])] : [],
    selection,
  });

  const uploader = new BlobUploader({
    spoolPack: async (pack) => {
      await shipper.spoolBodyPack(pack);
    },
    volumes: config.volumes,
    ...(deps.knownBlobs ? { known: deps.knownBlobs } : {}),
    limiter: new RateLimiter(config.scan.maxMiBps === undefined ? undefined : config.scan.maxMiBps * MiB),
  });
  const report: ScanReport = {
    scanId,
    kind: request.kind,
    resumed,
    startedAt,
    finishedAt: startedAt,
    mailboxes: { selected: todo.length + unchanged, scanned: 0, unchanged, vanished: 0 },
    items: { folders: 0, tags: 0, messages: 0, contacts: 0, calendar: 0, documents: 0, notes: 0 },
    blobs: { uploaded: 0, present: 0, skipped: 0, bytesRead: 0, bytesStored: 0, packs: 0 },
    problems: [],
    problemCount: 0,
  };
  const problem = (p: ScanProblem) => {
    report.problemCount++;
    if (report.problems.length < MAX_PROBLEMS) report.problems.push(p);
    log.warn('scan problem', { ...p });
  };
  let items = 0;
  const progress = (account: string) =>
    deps.onProgress?.({
      mailboxesDone: report.mailboxes.scanned + report.mailboxes.vanished,
      mailboxesTotal: todo.length,
      account,
      items,
      blobsUploaded: uploader.counts.uploaded,
      bytesRead: uploader.counts.bytesRead,
    });

  const scanOne = async (db: Connection, mailbox: MailboxRow) => {
    if (deps.signal?.aborted) throw new ScanError('the scan was stopped; run it again to resume');
    progress(mailbox.accountName);
    // A smart scan reads only the blobs written since the mailbox's last scan (older ones are stored).
    const since =
      request.kind === 'smart' ? (previous.mailboxes[String(mailbox.mailboxId)]?.modContent ?? 0) : 0;
    const outcome = await scanMailbox(
      { ...deps, db },
      uploader,
      mailbox,
      scanId,
      request.kind,
      since,
      problem,
      (n) => {
        items += n;
        progress(mailbox.accountName);
      },
    );
    if (outcome === undefined) report.mailboxes.vanished++;
    else {
      report.mailboxes.scanned++;
      for (const k of ['folders', 'tags', 'messages', 'contacts', 'calendar', 'documents', 'notes'] as const)
        report.items[k] += outcome[k];
    }
    await ledger.mailboxDone(
      mailbox.mailboxId,
      outcome && {
        changeCheckpoint: outcome.changeCheckpoint,
        changeMark: outcome.changeMark,
        modContent: outcome.modContent,
        scanId,
        at: new Date().toISOString(),
        accountId: mailbox.accountId,
      },
    );
    progress(mailbox.accountName);
    if (config.scan.pauseMs > 0) await sleep(config.scan.pauseMs);
  };
  // Mailboxes are independent (each has its own cut and transaction; the uploader packs a body once whoever
  // reads it first), so a few are scanned at once: one mailbox's scan mostly waits on the database and fsyncs.
  const extra = await openMore(deps, Math.min(config.scan.mailboxConcurrency, todo.length) - 1);
  try {
    const free = [deps.db, ...extra];
    await inParallel(todo, free.length, async (mailbox) => {
      // A worker takes a free connection and gives it back: never more workers than connections.
      const db = free.pop() as Connection;
      try {
        await scanOne(db, mailbox);
      } finally {
        free.push(db);
      }
    });
  } finally {
    await Promise.all(extra.map((c) => c.end().catch(() => undefined)));
  }
  await ledger.finish();
  report.blobs = { ...uploader.counts };
  report.finishedAt = new Date().toISOString();
  return report;
}

/** Up to `count` more database connections; fewer when the database refuses some (the scan goes on slower). */
async function openMore(deps: ScanDeps, count: number): Promise<Connection[]> {
  const { connect } = deps;
  if (!connect || count <= 0) return [];
  const opened = await Promise.allSettled(Array.from({ length: count }, () => connect()));
  const refused = opened.find((o) => o.status === 'rejected');
  if (refused)
    deps.log.warn('the mailbox database refused a connection: fewer mailboxes are scanned at once', {
      error: String((refused.reason as Error)?.message ?? refused.reason),
    });
  return opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
}

function select(all: MailboxRow[], request: ScanRequest): MailboxRow[] {
  if (request.all) return all;
  const names = new Set((request.accounts ?? []).map((a) => a.toLowerCase()));
  const domains = (request.domains ?? []).map((d) => `@${d.toLowerCase()}`);
  const found = new Set<string>();
  const chosen = all.filter((m) => {
    const name = m.accountName.toLowerCase();
    if (names.has(name)) {
      found.add(name);
      return true;
    }
    return domains.some((d) => name.endsWith(d));
  });
  const unknown = [...names].filter((n) => !found.has(n));
  if (unknown.length > 0)
    throw new ScanError(
      `no mailbox on this server belongs to ${unknown.join(', ')} (zimbra.mailbox.comment)`,
    );
  if (chosen.length === 0) throw new ScanError('the selection names no mailbox on this server');
  return chosen;
}

/** Items a scan wrote into its snapshots, by kind. */
interface ItemCounts {
  folders: number;
  tags: number;
  messages: number;
  contacts: number;
  calendar: number;
  documents: number;
  notes: number;
}

interface MailboxOutcome extends ItemCounts {
  changeCheckpoint: number;
  changeMark: string;
  /** The highest blob revision the snapshot holds: a smart scan reads blobs above it. */
  modContent: number;
}

/** One mailbox: blobs first (outside any transaction), then the snapshot at a cut, then late blobs. */
async function scanMailbox(
  deps: ScanDeps,
  uploader: BlobUploader,
  mailbox: MailboxRow,
  scanId: string,
  kind: ScanKind,
  since: number,
  problem: (p: ScanProblem) => void,
  counted: (items: number) => void,
): Promise<MailboxOutcome | undefined> {
  const { config, shipper, db } = deps;
  const account = mailbox.accountName;
  if (!/^[A-Za-z0-9-]{1,127}$/.test(mailbox.accountId)) {
    problem({ mailboxId: mailbox.mailboxId, account, problem: 'bad-account-id', detail: mailbox.accountId });
    return undefined;
  }
  const groups = config.mailboxDb?.groups ?? 100;
  const blobProblem = (itemId: number, outcome: BlobOutcome) => {
    if ('detail' in outcome)
      problem({
        mailboxId: mailbox.mailboxId,
        account,
        itemId,
        problem: outcome.state,
        detail: outcome.detail,
      });
  };
  // 1. Blobs, page by page: short queries, no transaction held while files are read and uploaded.
  const seen = { modContent: since };
  const sha256OfSha1 = new Map<string, string>();
  // Attachment names of the messages whose bytes this scan read (the database does not keep them).
  const attachments = new Map<number, string[]>();
  const database = mailboxGroupDatabase(mailbox.mailboxId, groups);
  type BlobRow = { id: number; blob_digest: string; locator: string | null; mod_content: number };
  const page = async (after: number): Promise<BlobRow[]> => {
    const rows = (await db.query(
      `SELECT id, blob_digest, locator, mod_content FROM ${database}.mail_item
        WHERE mailbox_id = ? AND id > ? AND blob_digest IS NOT NULL AND mod_content > ? ORDER BY id LIMIT ${PAGE}`,
      [mailbox.mailboxId, after, since],
    )) as BlobRow[];
    if (rows.length > 0) await uploader.prefetch(rows.map((r) => r.blob_digest));
    return rows;
  };
  // The next page is queried (and its digests asked about) while this page's blobs are read: the database
  // and the volumes work at the same time.
  for (let next = page(0); ; ) {
    const rows = await next;
    if (rows.length === 0) break;
    next = page((rows.at(-1) as BlobRow).id);
    // Taken by the next turn (or left when a blob fails the scan): never an unhandled rejection meanwhile.
    next.catch(() => undefined);
    await inParallel(rows, config.scan.concurrency, async (r) => {
      const ref: BlobRef = {
        mailboxId: mailbox.mailboxId,
        itemId: r.id,
        digest: r.blob_digest,
        volumeId: r.locator,
        modContent: r.mod_content,
      };
      const outcome = await uploader.ensure(ref, deps.signal);
      blobProblem(r.id, outcome);
      if ('attachments' in outcome && outcome.attachments) attachments.set(r.id, outcome.attachments);
      if ('sha256' in outcome && r.blob_digest.length !== 44) sha256OfSha1.set(r.blob_digest, outcome.sha256);
    });
    for (const r of rows) seen.modContent = Math.max(seen.modContent, r.mod_content);
    counted(rows.length);
  }

  // Older revisions of documents have blobs of their own.
  const revisionRows = (await db.query(
    `SELECT item_id, blob_digest, locator, mod_content FROM ${database}.revision
      WHERE mailbox_id = ? AND blob_digest IS NOT NULL AND mod_content > ?`,
    [mailbox.mailboxId, since],
  )) as { item_id: number; blob_digest: string; locator: string | null; mod_content: number }[];
  await uploader.prefetch(revisionRows.map((r) => r.blob_digest));
  await inParallel(revisionRows, config.scan.concurrency, async (r) => {
    const outcome = await uploader.ensure(
      {
        mailboxId: mailbox.mailboxId,
        itemId: r.item_id,
        digest: r.blob_digest,
        volumeId: r.locator,
        modContent: r.mod_content,
      },
      deps.signal,
    );
    blobProblem(r.item_id, outcome);
    if ('sha256' in outcome && r.blob_digest.length !== 44) sha256OfSha1.set(r.blob_digest, outcome.sha256);
  });
  for (const r of revisionRows) seen.modContent = Math.max(seen.modContent, r.mod_content);
  counted(revisionRows.length);

  // 2. The snapshot, at a cut of the redo stream. Its bodies are spooled first: once the snapshot is, the
  // mailbox counts as scanned, and a body still held in memory then would be lost to a crash.
  await uploader.flush();
  const cut: ScanCut = await shipper.cutForScan(mailbox.mailboxId, scanId, deps.signal);
  const file = shipper.spool.scratch(`scan-${mailbox.mailboxId}`);
  // Lines are compressed into the spool in pieces of about SNAPSHOT_PIECE characters as they are read.
  const writer = new CompressedFileWriter(file, config.segment.zstdLevel);
  const late: ItemRow[] = [];
  try {
    const takenAt = new Date().toISOString();
    let pending = '';
    const write = async (line: ScanLine) => {
      pending += `${JSON.stringify(line)}\n`;
      if (pending.length < SNAPSHOT_PIECE) return;
      const piece = pending;
      pending = '';
      await writer.write(Buffer.from(piece, 'utf8'));
    };
    const counts = { folders: 0, tags: 0, messages: 0, contacts: 0, calendar: 0, documents: 0, notes: 0 };
    let checkpoint = 0;
    let changeMark = '';
    let configCount = 0;
    let maxModContent = since;
    let accountId = mailbox.accountId;
    const header = (fields: Pick<ScanHeader, 'accountName' | 'changeCheckpoint' | 'absent'>): ScanHeader => ({
      type: 'header',
      format: SCAN_FORMAT,
      scanId,
      kind,
      serverId: config.serverId,
      mailboxId: mailbox.mailboxId,
      accountId,
      position: { seq: cut.sequence, offset: String(cut.offset) },
      takenAt,
      ...fields,
    });
    const found = await readMailbox(db, mailbox.mailboxId, groups, {
      start: async (contents) => {
        checkpoint = contents.mailbox.changeCheckpoint;
        changeMark = contents.mailbox.changeMark;
        accountId = contents.mailbox.accountId;
        await write(header({ accountName: contents.mailbox.accountName, changeCheckpoint: checkpoint }));
        for (const row of contents.folders) {
          const { folder, problem: bad } = folderOfRow(row);
          if (bad) problem({ mailboxId: mailbox.mailboxId, account, problem: 'bad-metadata', detail: bad });
          await write(folder);
        }
        for (const t of contents.tags) await write({ type: 'tag', ...t });
        // Sections holding secrets (YAUTH tokens) are not kept, like a guest's share password.
        for (const c of contents.config)
          if (!SECRET_CONFIG_SECTIONS.has(c.section.toUpperCase())) {
            await write({ type: 'config', section: c.section.toUpperCase(), metadata: c.metadata });
            configCount++;
          }
        counts.folders = contents.folders.length;
        counts.tags = contents.tags.length;
        for (const { type, count } of contents.notScanned)
          problem({
            mailboxId: mailbox.mailboxId,
            account,
            problem: 'type-not-scanned',
            detail: `${count} ${itemTypeName(type)} item${count === 1 ? '' : 's'} (type ${type}): scans do not read this type yet, so the backup cannot restore them`,
          });
      },
      item: async (item) => {
        // Change numbers only grow: content written after the first pass has a higher one.
        if (item.modContent > seen.modContent) late.push(item);
        maxModContent = Math.max(maxModContent, item.modContent);
        const line = itemLine(item, sha256OfSha1, attachments, (detail) =>
          problem({
            mailboxId: mailbox.mailboxId,
            account,
            itemId: item.id,
            problem: 'bad-metadata',
            detail,
          }),
        );
        if (!line) {
          problem({
            mailboxId: mailbox.mailboxId,
            account,
            itemId: item.id,
            problem: 'no-digest',
            detail: `${item.type} ${item.id} has no blob digest the backup can use`,
          });
          return;
        }
        await write(line);
        counts[COUNTED_AS[line.type as keyof typeof COUNTED_AS]]++;
      },
    });
    if (!found)
      // Deleted since it was listed (or since an earlier scan): the snapshot says it is absent at the cut.
      await write(header({ accountName: mailbox.accountName, changeCheckpoint: 0, absent: true }));
    await write({ type: 'end', ...counts, config: configCount });
    await writer.write(Buffer.from(pending, 'utf8'));
    const { sha256, size, storedSize } = await writer.finish();
    await shipper.spoolScan(
      cut,
      {
        kind: 'scan',
        key: serverKeys.scan(config.serverId, accountId, takenAt, sha256),
        sha256,
        size,
        storedSize,
        codec: 'zstd',
        scan: {
          scanId,
          scanKind: kind,
          mailboxId: mailbox.mailboxId,
          accountId,
          items: counts.messages + counts.contacts + counts.calendar + counts.documents + counts.notes,
          takenAt,
        },
        spooledAt: new Date().toISOString(),
      },
      file,
    );
    // 3. Blobs of items written after the first pass read their page.
    await uploader.prefetch(
      late.flatMap((item) => [
        ...(item.digest ? [item.digest] : []),
        ...item.revisions.flatMap((r) => (r.digest ? [r.digest] : [])),
      ]),
    );
    for (const item of late)
      for (const r of item.revisions)
        if (r.digest && r.modContent > seen.modContent)
          blobProblem(
            item.id,
            await uploader.ensure(
              {
                mailboxId: mailbox.mailboxId,
                itemId: item.id,
                digest: r.digest,
                volumeId: r.volumeId,
                modContent: r.modContent,
              },
              deps.signal,
            ),
          );
    for (const item of late) {
      if (!item.digest) continue;
      const outcome = await uploader.ensure(
        {
          mailboxId: mailbox.mailboxId,
          itemId: item.id,
          digest: item.digest,
          volumeId: item.volumeId,
          modContent: item.modContent,
        },
        deps.signal,
      );
      blobProblem(item.id, outcome);
    }
    await uploader.flush();
    return found
      ? { ...counts, changeCheckpoint: checkpoint, changeMark, modContent: maxModContent }
      : undefined;
  } catch (error) {
    shipper.releaseCut(cut);
    // The snapshot's file if it is not spooled yet, half written or whole (once spooled, it is not there).
    await writer.abort();
    throw error;
  }
}

/**
 * An item as the snapshot carries it; undefined for a message whose SHA-256 is unknown. A calendar item whose
 * metadata does not decode is carried as it is (one "invite" holding the whole column) and reported.
 */
function itemLine(
  item: ItemRow,
  sha256OfSha1: ReadonlyMap<string, string>,
  attachments: ReadonlyMap<number, string[]>,
  badMetadata: (detail: string) => void,
): ScanLine | undefined {
  // A zimlet's or client's sections (`xd.*` in the item's metadata), whatever the type.
  const custom = customOfMetadataText(item.metadata);
  const extra = custom ? { custom } : {};
  if (item.type === 'appointment' || item.type === 'task') {
    let calendar: { uid: string; invites: string[] };
    try {
      calendar = calendarItemOfMetadata(item.metadata ?? '');
    } catch (error) {
      badMetadata(`${item.type} ${item.id}: ${(error as Error).message}; kept as the server wrote it`);
      calendar = { uid: `item-${item.id}`, invites: [item.metadata ?? ''] };
    }
    return {
      type: 'calendar',
      id: item.id,
      folderId: item.folderId,
      itemType: item.type,
      flags: item.flags,
      tags: item.tags,
      ...calendar,
      ...extra,
    };
  }
  if (item.type === 'note' || item.type === 'comment') return { ...noteLine(item, badMetadata), ...extra };
  const sha256Of = (digest: string | null) =>
    digest ? (sha256OfDigest(digest) ?? sha256OfSha1.get(digest)) : undefined;
  if (item.type === 'document' || item.type === 'wiki') {
    const line = documentLine(item, sha256Of, badMetadata);
    return line ? { ...line, ...extra } : undefined;
  }
  const sha256 = sha256Of(item.digest);
  if (item.type === 'contact')
    return {
      type: 'contact',
      id: item.id,
      folderId: item.folderId,
      fields: item.fields,
      sha256: sha256 ?? null,
      ...extra,
    };
  if (!sha256 || !item.digest) return undefined;
  return {
    type: 'message',
    id: item.id,
    folderId: item.folderId,
    flags: item.flags,
    tags: item.tags,
    digest: item.digest,
    size: item.size,
    sha256,
    receivedDate: item.date,
    ...(item.subject !== null ? { subject: item.subject.slice(0, 1024) } : {}),
    ...(item.sender !== null ? { from: item.sender.slice(0, 1024) } : {}),
    ...(item.recipients ? { to: item.recipients.slice(0, 1024) } : {}),
    ...(attachments.has(item.id) ? { attachments: attachments.get(item.id) } : {}),
    ...(item.parentId !== null && item.parentId > 0 ? { conv: item.parentId } : {}),
    ...extra,
  };
}

/**
 * A note or a comment: its text is the subject column, its color (`c`), place (`l`) and a comment's author
 * (`cr`) are in its metadata.
 */
function noteLine(item: ItemRow, badMetadata: (detail: string) => void): ScanNote {
  let meta: Record<string, MetadataValue> = {};
  try {
    meta = decodeMetadataMap(item.metadata);
  } catch (error) {
    badMetadata(`${item.type} ${item.id}: ${(error as Error).message}; kept without its color and place`);
  }
  const color = Number(meta.c ?? 0);
  const bounds = typeof meta.l === 'string' ? meta.l : undefined;
  return {
    type: 'note',
    id: item.id,
    folderId: item.folderId,
    itemType: item.type === 'comment' ? 'comment' : 'note',
    flags: item.flags,
    tags: item.tags,
    text: (item.subject ?? '').slice(0, 1024),
    date: item.date,
    ...(item.type === 'note' && Number.isInteger(color) && color !== 0 ? { color } : {}),
    ...(item.type === 'note' && bounds !== undefined && /^-?\d{1,10}(,-?\d{1,10}){3}$/.test(bounds)
      ? { bounds }
      : {}),
    ...(item.type === 'comment' && item.parentId !== null ? { parentId: item.parentId } : {}),
    ...(item.type === 'comment' ? { creatorId: String(meta.cr ?? '').slice(0, 127) } : {}),
  };
}

/**
 * A document with its revisions: the older ones from the `revision` table, the current one from the item's
 * row (its metadata: content type `ct`, author `cr`, description `de`, version `ver`). Undefined when a
 * revision's SHA-256 is unknown (reported as having no usable digest).
 */
function documentLine(
  item: ItemRow,
  sha256Of: (digest: string | null) => string | undefined,
  badMetadata: (detail: string) => void,
): ScanLine | undefined {
  const fields = (metadata: string | null, what: string): Record<string, string> => {
    try {
      return Object.fromEntries(Object.entries(decodeMetadataMap(metadata)).map(([k, v]) => [k, String(v)]));
    } catch (error) {
      badMetadata(`${item.type} ${item.id} ${what}: ${(error as Error).message}`);
      return {};
    }
  };
  const meta = fields(item.metadata, 'metadata');
  // The older revisions, then the current one (the item's own row); each needs the SHA-256 of its blob.
  const rows = [
    ...item.revisions.map((r) => ({ ...r, meta: fields(r.metadata, `revision ${r.version} metadata`) })),
    {
      version: Number(meta.ver ?? (item.revisions.at(-1)?.version ?? 0) + 1),
      name: item.name,
      date: item.date,
      size: item.size,
      digest: item.digest,
      meta,
    },
  ];
  const revisions = [];
  for (const r of rows) {
    const sha256 = sha256Of(r.digest);
    if (!sha256) return undefined;
    revisions.push({
      version: r.version,
      name: r.name ?? '',
      contentType: r.meta.ct ?? 'application/octet-stream',
      author: r.meta.cr ?? '',
      date: r.date,
      size: r.size,
      digest: r.digest ?? '',
      sha256,
    });
  }
  return {
    type: 'document',
    id: item.id,
    folderId: item.folderId,
    itemType: item.type === 'wiki' ? 'wiki' : 'document',
    flags: item.flags,
    tags: item.tags,
    name: item.name ?? '',
    description: meta.dee === 'false' ? '' : (meta.de ?? ''),
    revisions,
  };
}
