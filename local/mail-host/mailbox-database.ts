import { readFileSync } from 'node:fs';
import mariadb, { type Pool, type PoolConnection } from 'mariadb';
import { aclOfGrants } from '#core/index/apply-folder-op.ts';
import { type MessageSummary, summarizeMessage } from '#core/index/message-summary.ts';
import { FLAG, FOLDER_ID, ITEM_TYPE } from '#core/mail-item.ts';
import type { FolderState, MailboxState } from '#core/mail-snapshot.ts';
import { metadataOfCustom } from '#core/scan/custom-data.ts';
import { mailboxGroup, mailboxGroupDatabase } from '#core/scan/mailbox-group.ts';
import { plainBlob } from '#core/scan/plain-blob.ts';
import { decodeMetadata, encodeMetadata, type MetadataValue } from '#core/scan/zimbra-metadata.ts';
import { zimbraDigest } from '#core/zimbra-digest.ts';
import { calendarItemMetadata } from '#local/mail-host/calendar-invites.ts';
import type { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { mailboxGroupDdl, ZIMBRA_DATABASE_DDL } from '#local/mail-host/mailbox-schema.ts';
import type { DatabaseLogin } from '#local/mail-host/mariadb-server.ts';

/** The volume id in `locator`: the simulator has one message volume. */
const VOLUME_ID = '1';

const ITEM_COLUMNS = [
  'mailbox_id',
  'id',
  'type',
  'parent_id',
  'folder_id',
  'date',
  'size',
  'locator',
  'blob_digest',
  'unread',
  'flags',
  'sender',
  'subject',
  'recipients',
  'name',
  'metadata',
  'mod_metadata',
  'change_date',
  'mod_content',
] as const;

type ItemRow = Record<(typeof ITEM_COLUMNS)[number], string | number | null>;

const REVISION_COLUMNS = [
  'mailbox_id',
  'item_id',
  'version',
  'date',
  'size',
  'locator',
  'blob_digest',
  'name',
  'metadata',
  'mod_metadata',
  'change_date',
  'mod_content',
] as const;

type RevisionRow = Record<(typeof REVISION_COLUMNS)[number], string | number | null>;

interface Desired {
  items: Map<number, ItemRow>;
  /** Old revisions of each document (the current one is its item row). */
  revisions: Map<number, RevisionRow[]>;
  tags: Map<number, string>;
  tagged: Map<number, number[]>;
  /** `zimbra.mailbox_metadata` rows: section (as the server names it) → metadata. */
  config: Record<string, string>;
}

export interface MirrorReport {
  mailboxes: number;
  upserted: number;
  deleted: number;
  removedMailboxes: number;
}

/** What the last mirror wrote of a mailbox: row fingerprints, and the mailbox row as the server keeps it. */
interface WrittenMailbox {
  items: Map<number, string>;
  checkpoint: number;
  itemCheckpoint: number;
  /** At the last mirror, what the server holds in memory: last change id, last item id, size, contacts. */
  change: number;
  lastItem: number;
  size: number;
  contacts: number;
  /** The configuration rows as written (JSON of section → metadata). */
  config: string;
}

/** Zimbra's defaults (DbMailbox.CHANGE_CHECKPOINT_INCREMENT, ITEM_CHECKPOINT_INCREMENT). */
const CHANGE_CHECKPOINT_INCREMENT = 100;
const ITEM_CHECKPOINT_INCREMENT = 20;

/**
 * Keeps a MariaDB shaped like a Zimbra server's (`zimbra.mailbox`, `mboxgroup<N>.mail_item`, `tag`,
 * `tagged_item`) equal to the simulator's committed state, as the server's own writes would: a row gets the
 * server's current change number (`mod_metadata`) only when it changes, every mailbox is written in one
 * transaction, and a deleted mailbox loses its rows. The mailbox row's checkpoints are written as the server
 * writes them (Mailbox.isMailboxRowDirty): only when the mailbox's size or contact count changed, or the change
 * or item id crossed a multiple of its checkpoint increment — so most flag changes, moves and shares leave
 * `change_checkpoint` as it was.
 */
export class MailboxDatabase {
  private readonly pool: Pool;
  private readonly written = new Map<number, WrittenMailbox>();
  private readonly groups = new Set<string>();
  private readonly summaries = new Map<string, { subject?: string; from?: string }>();

  private constructor(pool: Pool) {
    this.pool = pool;
  }

  static async open(login: DatabaseLogin): Promise<MailboxDatabase> {
    const pool = mariadb.createPool({ ...login, connectionLimit: 2 });
    for (const ddl of ZIMBRA_DATABASE_DDL) await pool.query(ddl);
    return new MailboxDatabase(pool);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** Writes what changed since the last mirror. */
  async mirror(sim: MailHostSimulator): Promise<MirrorReport> {
    const truth = sim.current();
    const change = sim.changeNumber();
    const now = Math.floor(sim.time() / 1000);
    const report: MirrorReport = { mailboxes: 0, upserted: 0, deleted: 0, removedMailboxes: 0 };
    const live = new Set<number>();
    for (const account of sim.accounts) {
      const state = truth.mailboxes[account.mailboxId];
      if (!state || account.deleted) continue;
      live.add(account.mailboxId);
      report.mailboxes++;
      const desired = this.desiredRows(sim, account.mailboxId, state, change, now);
      await this.writeMailbox(account, desired, change, report);
    }
    for (const mailboxId of [...this.written.keys()]) {
      if (live.has(mailboxId)) continue;
      await this.removeMailbox(mailboxId);
      report.removedMailboxes++;
    }
    return report;
  }

  private desiredRows(
    sim: MailHostSimulator,
    mailboxId: number,
    state: MailboxState,
    change: number,
    now: number,
  ): Desired {
    const items = new Map<number, ItemRow>();
    const base = { mailbox_id: mailboxId, mod_metadata: change, change_date: now, recipients: null };
    for (const [id, folder] of Object.entries(state.folders)) {
      items.set(Number(id), {
        ...base,
        id: Number(id),
        type: folder.search ? ITEM_TYPE.searchFolder : folder.mount ? ITEM_TYPE.mountpoint : ITEM_TYPE.folder,
        parent_id: folder.parentId,
        folder_id: folder.parentId,
        date: now,
        size: 0,
        locator: null,
        blob_digest: null,
        unread: 0,
        flags: 0,
        sender: null,
        subject: null,
        name: folder.name,
        metadata: folderMetadata(folder),
        mod_content: change,
      });
    }
    for (const [id, message] of Object.entries(state.messages)) {
      const blob = sim.blobOf(mailboxId, Number(id));
      const summary = blob ? this.summary(message.digest, blob.path) : {};
      items.set(Number(id), {
        ...base,
        id: Number(id),
        // What the simulator writes into Chats is a chat (CreateChat/SaveChat), stored with its own type.
        type: message.folderId === FOLDER_ID.chats ? ITEM_TYPE.chat : ITEM_TYPE.message,
        // Its real conversation, as the server keeps it; a message alone has none.
        parent_id: sim.conversationOf(mailboxId, Number(id)) ?? null,
        folder_id: message.folderId,
        date: Math.floor(message.receivedDate / 1000),
        size: message.size,
        locator: VOLUME_ID,
        blob_digest: message.digest,
        // The server keeps unread apart from the other flags (so it can be indexed).
        unread: message.flags & FLAG.unread ? 1 : 0,
        flags: message.flags & ~FLAG.unread,
        sender: summary.from?.slice(0, 128) ?? null,
        subject: summary.subject ?? null,
        recipients: summary.to?.slice(0, 128) ?? null,
        name: null,
        // A message's metadata holds little a scan reads but its custom sections (`xd.*`).
        metadata: message.custom ? encodeMetadata(metadataOfCustom(message.custom)) : null,
        mod_content: blob?.modContent ?? change,
      });
    }
    for (const [id, contact] of Object.entries(state.contacts)) {
      const blob = sim.blobOf(mailboxId, Number(id));
      const bytes = blob ? plainBlob(readFileSync(blob.path)) : undefined;
      items.set(Number(id), {
        ...base,
        id: Number(id),
        type: ITEM_TYPE.contact,
        parent_id: null,
        folder_id: contact.folderId,
        date: now,
        size: bytes?.length ?? 0,
        locator: bytes ? VOLUME_ID : null,
        blob_digest: bytes ? zimbraDigest(bytes) : null,
        unread: 0,
        flags: 0,
        sender: null,
        subject: null,
        name: null,
        metadata: encodeMetadata({ fld: contact.fields }),
        mod_content: blob?.modContent ?? change,
      });
    }
    for (const [id, item] of Object.entries(state.calendar)) {
      // No blob: the simulator's appointments are blobless (from 1.24 the server writes none when no MIME came).
      items.set(Number(id), {
        ...base,
        id: Number(id),
        type: item.type === 'task' ? ITEM_TYPE.task : ITEM_TYPE.appointment,
        parent_id: null,
        folder_id: item.folderId,
        date: now,
        size: 0,
        locator: null,
        blob_digest: null,
        unread: 0,
        flags: item.flags,
        sender: null,
        subject: null,
        name: null,
        metadata: calendarItemMetadata(item, decodeMetadata),
        mod_content: change,
      });
    }
    const revisions = new Map<number, RevisionRow[]>();
    for (const [id, document] of Object.entries(state.documents)) {
      const current = document.revisions.at(-1);
      if (!current) continue;
      const blobOf = (version: number) => sim.revisionBlobOf(mailboxId, Number(id), version);
      items.set(Number(id), {
        ...base,
        id: Number(id),
        type: document.type === 'wiki' ? ITEM_TYPE.wiki : ITEM_TYPE.document,
        parent_id: null,
        folder_id: document.folderId,
        date: Math.floor(current.date / 1000),
        size: current.size,
        locator: VOLUME_ID,
        blob_digest: current.digest,
        unread: 0,
        flags: document.flags,
        sender: null,
        subject: null,
        name: document.name,
        metadata: encodeMetadata({
          ct: current.contentType,
          cr: current.author,
          de: document.description,
          dee: 'true',
          ver: current.version,
        }),
        mod_content: blobOf(current.version)?.modContent ?? change,
      });
      revisions.set(
        Number(id),
        document.revisions.slice(0, -1).map((r) => ({
          mailbox_id: mailboxId,
          item_id: Number(id),
          version: r.version,
          date: Math.floor(r.date / 1000),
          size: r.size,
          locator: VOLUME_ID,
          blob_digest: r.digest,
          name: r.name,
          metadata: encodeMetadata({ ct: r.contentType, cr: r.author }),
          mod_metadata: change,
          change_date: now,
          mod_content: blobOf(r.version)?.modContent ?? change,
        })),
      );
    }
    for (const [id, note] of Object.entries(state.notes ?? {})) {
      // The text is the subject column (Note.create, Comment.create); color, place and author are metadata.
      items.set(Number(id), {
        ...base,
        id: Number(id),
        type: note.type === 'comment' ? ITEM_TYPE.comment : ITEM_TYPE.note,
        parent_id: note.parentId ?? null,
        folder_id: note.folderId,
        date: Math.floor(note.date / 1000),
        size: note.text.length,
        locator: null,
        blob_digest: null,
        unread: 0,
        flags: note.flags,
        sender: null,
        subject: note.text,
        name: null,
        metadata: encodeMetadata({
          ...(note.color !== undefined ? { c: note.color } : {}),
          ...(note.bounds !== undefined ? { l: note.bounds } : {}),
          ...(note.creatorId !== undefined ? { cr: note.creatorId } : {}),
          ...metadataOfCustom(note.custom),
        }),
        mod_content: change,
      });
    }
    const tags = new Map(Object.entries(state.tags).map(([name, id]) => [id, name]));
    const tagged = new Map<number, number[]>();
    for (const [id, message] of [
      ...Object.entries(state.messages),
      ...Object.entries(state.calendar),
      ...Object.entries(state.documents),
      ...Object.entries(state.notes ?? {}),
    ]) {
      const ids = message.tags.map((name) => state.tags[name]).filter((t): t is number => t !== undefined);
      if (ids.length > 0)
        tagged.set(
          Number(id),
          ids.sort((a, b) => a - b),
        );
    }
    // As the server names the sections (lower case), beside the ones a backup must not keep.
    const secret = sim.secretConfig.get(mailboxId);
    const config = Object.fromEntries([
      ...Object.entries(state.config ?? {}).map(
        ([section, metadata]) => [section.toLowerCase(), metadata] as const,
      ),
      ...(secret ? [['YAUTH', secret] as const] : []),
    ]);
    return { items, revisions, tags, tagged, config };
  }

  private async writeMailbox(
    account: MailHostSimulator['accounts'][number],
    desired: Desired,
    change: number,
    report: MirrorReport,
  ): Promise<void> {
    const mailboxId = account.mailboxId;
    const database = await this.group(mailboxId);
    const before: WrittenMailbox = this.written.get(mailboxId) ?? {
      items: new Map<number, string>(),
      checkpoint: -1,
      itemCheckpoint: -1,
      change: -1,
      lastItem: -1,
      size: -1,
      contacts: -1,
      config: '{}',
    };
    const after = new Map<number, string>();
    const upserts: ItemRow[] = [];
    for (const [id, row] of desired.items) {
      // What the row says, apart from the change stamps: a row is rewritten only when that differs.
      const { mod_metadata: _m, change_date: _d, ...content } = row;
      const tagIds = desired.tagged.get(id) ?? [];
      const revisions = (desired.revisions.get(id) ?? []).map((r) => [r.version, r.mod_content]);
      const fingerprint = JSON.stringify([
        content,
        tagIds,
        ...tagIds.map((t) => desired.tags.get(t)),
        revisions,
      ]);
      after.set(id, fingerprint);
      if (before.items.get(id) !== fingerprint) upserts.push(row);
    }
    const deletes = [...before.items.keys()].filter((id) => !desired.items.has(id));
    let size = 0;
    let contacts = 0;
    for (const row of desired.items.values()) {
      size += Number(row.size ?? 0);
      if (row.type === ITEM_TYPE.contact) contacts++;
    }
    const lastItem = Math.max(0, ...desired.items.keys());
    const crossed = (now: number, last: number, increment: number) =>
      Math.floor(now / increment) > Math.floor(last / increment);
    const dirty =
      (upserts.length > 0 || deletes.length > 0) &&
      (size !== before.size ||
        contacts !== before.contacts ||
        crossed(lastItem, before.lastItem, ITEM_CHECKPOINT_INCREMENT) ||
        crossed(change, before.change, CHANGE_CHECKPOINT_INCREMENT));
    const checkpoint = dirty ? change : before.checkpoint;
    const itemCheckpoint = dirty ? lastItem : before.itemCheckpoint;
    await this.inTransaction(async (connection) => {
      await connection.query(
        `INSERT INTO zimbra.mailbox (id, group_id, account_id, item_id_checkpoint, change_checkpoint, comment)
         VALUES (?, ?, ?, ?, ?, ?)
         ON DUPLICATE KEY UPDATE change_checkpoint = VALUES(change_checkpoint), comment = VALUES(comment),
           item_id_checkpoint = VALUES(item_id_checkpoint)`,
        [mailboxId, mailboxGroup(mailboxId), account.zimbraId, itemCheckpoint, checkpoint, account.name],
      );
      for (const [id, name] of desired.tags) {
        // A rename stamps the tag with the change (its sequence), as the server's does.
        await connection.query(
          `INSERT INTO ${database}.tag (mailbox_id, id, name, sequence) VALUES (?, ?, ?, ?)
           ON DUPLICATE KEY UPDATE sequence = IF(name = VALUES(name), sequence, VALUES(sequence)),
             name = VALUES(name)`,
          [mailboxId, id, name, change],
        );
      }
      if (deletes.length > 0) {
        await connection.query(`DELETE FROM ${database}.mail_item WHERE mailbox_id = ? AND id IN (?)`, [
          mailboxId,
          deletes,
        ]);
        await connection.query(
          `DELETE FROM ${database}.tagged_item WHERE mailbox_id = ? AND item_id IN (?)`,
          [mailboxId, deletes],
        );
      }
      if (upserts.length > 0) {
        const columns = ITEM_COLUMNS.join(', ');
        const updates = ITEM_COLUMNS.filter((c) => c !== 'mailbox_id' && c !== 'id')
          .map((c) => `${c} = VALUES(${c})`)
          .join(', ');
        await connection.batch(
          `INSERT INTO ${database}.mail_item (${columns}) VALUES (${ITEM_COLUMNS.map(() => '?').join(', ')})
           ON DUPLICATE KEY UPDATE ${updates}`,
          upserts.map((row) => ITEM_COLUMNS.map((c) => row[c])),
        );
        const ids = upserts.map((row) => row.id as number);
        await connection.query(
          `DELETE FROM ${database}.tagged_item WHERE mailbox_id = ? AND item_id IN (?)`,
          [mailboxId, ids],
        );
        await connection.query(`DELETE FROM ${database}.revision WHERE mailbox_id = ? AND item_id IN (?)`, [
          mailboxId,
          ids,
        ]);
        const revisionRows = ids.flatMap((id) => desired.revisions.get(id) ?? []);
        if (revisionRows.length > 0)
          await connection.batch(
            `INSERT INTO ${database}.revision (${REVISION_COLUMNS.join(', ')}) VALUES (${REVISION_COLUMNS.map(() => '?').join(', ')})`,
            revisionRows.map((row) => REVISION_COLUMNS.map((c) => row[c])),
          );
        const tagged = ids.flatMap((id) => (desired.tagged.get(id) ?? []).map((tag) => [mailboxId, tag, id]));
        if (tagged.length > 0)
          await connection.batch(
            `INSERT INTO ${database}.tagged_item (mailbox_id, tag_id, item_id) VALUES (?, ?, ?)`,
            tagged,
          );
      }
    });
    // Configuration rows (SetConfig writes no change stamp and does not touch the mailbox row), as the server
    // names them (lower case) beside the sections a backup must not keep.
    const config = desired.config;
    const configText = JSON.stringify(config);
    if (configText !== before.config)
      await this.inTransaction(async (connection) => {
        await connection.query('DELETE FROM zimbra.mailbox_metadata WHERE mailbox_id = ?', [mailboxId]);
        for (const [section, metadata] of Object.entries(config))
          await connection.query(
            'INSERT INTO zimbra.mailbox_metadata (mailbox_id, section, metadata) VALUES (?, ?, ?)',
            [mailboxId, section, metadata],
          );
      });
    this.written.set(mailboxId, {
      config: configText,
      items: after,
      checkpoint,
      itemCheckpoint,
      change: Math.max(change, before.change),
      lastItem: Math.max(lastItem, before.lastItem),
      size,
      contacts,
    });
    report.upserted += upserts.length;
    report.deleted += deletes.length;
  }

  private async removeMailbox(mailboxId: number): Promise<void> {
    const database = mailboxGroupDatabase(mailboxId);
    await this.inTransaction(async (connection) => {
      for (const table of ['tagged_item', 'revision', 'mail_item', 'tag'])
        await connection.query(`DELETE FROM ${database}.${table} WHERE mailbox_id = ?`, [mailboxId]);
      await connection.query('DELETE FROM zimbra.mailbox_metadata WHERE mailbox_id = ?', [mailboxId]);
      await connection.query('DELETE FROM zimbra.mailbox WHERE id = ?', [mailboxId]);
    });
    this.written.delete(mailboxId);
  }

  /** One transaction (rows of a mailbox are written in the order convenient, not the order of the keys). */
  private async inTransaction(work: (connection: PoolConnection) => Promise<void>): Promise<void> {
    const connection = await this.pool.getConnection();
    try {
      await connection.query('SET foreign_key_checks = 0');
      await connection.beginTransaction();
      await work(connection);
      await connection.commit();
    } catch (error) {
      await connection.rollback().catch(() => undefined);
      throw error;
    } finally {
      await connection.release();
    }
  }

  private async group(mailboxId: number): Promise<string> {
    const database = mailboxGroupDatabase(mailboxId);
    if (!this.groups.has(database)) {
      for (const ddl of mailboxGroupDdl(database)) await this.pool.query(ddl);
      this.groups.add(database);
    }
    return database;
  }

  private summary(digest: string, path: string): MessageSummary {
    let summary = this.summaries.get(digest);
    if (!summary) {
      summary = summarizeMessage(plainBlob(readFileSync(path)));
      this.summaries.set(digest, summary);
    }
    return summary;
  }
}

/** A folder's metadata as Folder, SearchFolder and Mountpoint encode it (what a scan reads back). */
function folderMetadata(folder: FolderState): string | null {
  const meta: Record<string, MetadataValue> = {};
  if (folder.view !== undefined) meta.vt = folder.view;
  if (folder.color !== undefined) meta.c = folder.color;
  if (folder.url !== undefined) meta.url = folder.url;
  if (folder.grants) meta.aclm = aclOfGrants(folder.grants);
  if (folder.retention)
    meta.rp = {
      keep: folder.retention.keep.map((r) => ({ ...r })),
      purge: folder.retention.purge.map((r) => ({ ...r })),
    };
  // Folder.encodeMetadata writes `das` always, as BEncoding writes a boolean: its text.
  meta.das = folder.activeSyncDisabled ? 'true' : 'false';
  if (folder.webOfflineSyncDays !== undefined) meta.wosd = folder.webOfflineSyncDays;
  Object.assign(meta, metadataOfCustom(folder.custom));
  if (folder.search)
    Object.assign(meta, { q: folder.search.query, t: folder.search.types, s: folder.search.sort });
  if (folder.mount)
    Object.assign(meta, {
      aid: folder.mount.ownerId,
      id: folder.mount.remoteId,
      ...(folder.mount.remoteUuid ? { ruuid: folder.mount.remoteUuid } : {}),
      ...(folder.mount.reminder ? { rem: 1 } : {}),
    });
  return Object.keys(meta).length > 0 ? encodeMetadata(meta) : null;
}
