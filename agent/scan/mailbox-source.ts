import type { Connection } from 'mariadb';
import { FLAG, ITEM_TYPE } from '#core/mail-item.ts';
import type { FolderRow } from '#core/scan/folder-of-row.ts';
import { mailboxGroupDatabase } from '#core/scan/mailbox-group.ts';
import { contactFieldsOf } from '#core/scan/zimbra-metadata.ts';

/** A row of `zimbra.mailbox`: which account a mailbox belongs to, its change checkpoint and change mark. */
export interface MailboxRow {
  mailboxId: number;
  accountId: string;
  accountName: string;
  changeCheckpoint: number;
  /**
   * What moves whenever anything in the mailbox changes (see changeMarks); a smart scan compares it, not
   * `change_checkpoint`, which the server writes only now and then.
   */
  changeMark: string;
}

/** A message, contact, appointment or task row with what a scan needs of it. */
export interface ItemRow {
  id: number;
  type: 'message' | 'contact' | 'appointment' | 'task' | 'document' | 'wiki' | 'note' | 'comment';
  folderId: number;
  /**
   * `parent_id`: a comment's document, or the real conversation a message is in (a message alone, in its
   * virtual conversation, has none); null for other items.
   */
  parentId: number | null;
  /** The flag bits with unread folded back in (the server keeps unread in a column of its own). */
  flags: number;
  tags: string[];
  digest: string | null;
  size: number;
  /** Volume id (`locator`) and revision (`mod_content`): where the blob file is. */
  volumeId: string | null;
  modContent: number;
  /** ms; the server keeps seconds. */
  date: number;
  subject: string | null;
  sender: string | null;
  /** The `recipients` column: the server's summary of a message's To (cut to 128 characters). */
  recipients: string | null;
  fields: Record<string, string>;
  /** The item's metadata column (a calendar item's invites live there). */
  metadata: string | null;
  /** The item's name column (a document's). */
  name: string | null;
  /** A document's older revisions (the `revision` table), oldest first. */
  revisions: RevisionRow[];
}

/** A row of the `revision` table: a document's older revision. */
export interface RevisionRow {
  version: number;
  /** ms; the server keeps seconds. */
  date: number;
  size: number;
  digest: string | null;
  name: string | null;
  metadata: string | null;
  volumeId: string | null;
  modContent: number;
}

export interface MailboxContents {
  mailbox: MailboxRow;
  /** Folders, search folders and mountpoints, as stored (see folderOfRow). */
  folders: FolderRow[];
  tags: { id: number; name: string }[];
  /** The mailbox's configuration sections (`zimbra.mailbox_metadata`), secrets included: the caller decides. */
  config: { section: string; metadata: string }[];
  /** Items of types a scan does not read yet (appointments, documents…), counted by type: never skipped silently. */
  notScanned: { type: number; count: number }[];
}

/** Types a scan reads, or that hold nothing of their own (conversations are derived from their messages). */
const SCANNED_TYPES = [
  ITEM_TYPE.folder,
  ITEM_TYPE.searchFolder,
  ITEM_TYPE.mountpoint,
  ITEM_TYPE.conversation,
  ITEM_TYPE.message,
  ITEM_TYPE.chat,
  ITEM_TYPE.contact,
  ITEM_TYPE.virtualConversation,
  ITEM_TYPE.appointment,
  ITEM_TYPE.task,
  ITEM_TYPE.document,
  ITEM_TYPE.wiki,
  ITEM_TYPE.note,
  ITEM_TYPE.comment,
];
const ROW_TYPES: Readonly<Record<number, ItemRow['type']>> = {
  [ITEM_TYPE.message]: 'message',
  // A chat is a message with a MIME blob (Chat extends Message).
  [ITEM_TYPE.chat]: 'message',
  [ITEM_TYPE.contact]: 'contact',
  [ITEM_TYPE.appointment]: 'appointment',
  [ITEM_TYPE.task]: 'task',
  [ITEM_TYPE.document]: 'document',
  [ITEM_TYPE.wiki]: 'wiki',
  [ITEM_TYPE.note]: 'note',
  [ITEM_TYPE.comment]: 'comment',
};

interface MailboxTableRow {
  id: number;
  account_id: string;
  comment: string | null;
  change_checkpoint: number;
}

export async function listMailboxes(db: Connection, groups: number): Promise<MailboxRow[]> {
  const rows = (await db.query(
    'SELECT id, account_id, comment, change_checkpoint FROM zimbra.mailbox ORDER BY id',
  )) as MailboxTableRow[];
  const marks = new Map<number, string>();
  for (const [database, inGroup] of Map.groupBy(rows, (r) => mailboxGroupDatabase(r.id, groups)))
    for (const [id, mark] of await changeMarks(db, database, inGroup)) marks.set(id, mark);
  return rows.map((r) => mailboxRow(r, marks.get(r.id) ?? ''));
}

/**
 * A mark per mailbox that changes whenever the mailbox does. The server writes `change_checkpoint` only when
 * a change alters the mailbox's size or counts, or its change id crosses a multiple of
 * `zimbra_mailbox_change_checkpoint_frequency` (100 by default: Mailbox.isMailboxRowDirty), so a flag, a move
 * or a folder share can leave it as it was. Every change stamps the rows it writes with a change id higher
 * than any before (`mod_metadata`, a tag's `sequence`), and a change that only removes rows lowers a count:
 * the highest stamps and the counts together move with every change. Both columns are indexed with the
 * mailbox id on a real server; the counts cost an index range scan per mailbox, far less than reading it.
 */
async function changeMarks(
  db: Connection,
  database: string,
  mailboxes: readonly MailboxTableRow[],
): Promise<Map<number, string>> {
  const ids = mailboxes.map((m) => m.id);
  const of = async (sql: string) =>
    new Map(
      ((await db.query(sql, [ids])) as { mailbox_id: number; top: number | null; n: bigint | number }[]).map(
        (r) => [r.mailbox_id, `${r.top ?? 0}.${Number(r.n)}`],
      ),
    );
  const items = await of(
    `SELECT mailbox_id, MAX(mod_metadata) AS top, COUNT(*) AS n FROM ${database}.mail_item
      WHERE mailbox_id IN (?) GROUP BY mailbox_id`,
  );
  const tags = await of(
    `SELECT mailbox_id, MAX(sequence) AS top, COUNT(*) AS n FROM ${database}.tag
      WHERE mailbox_id IN (?) GROUP BY mailbox_id`,
  );
  const revisions = await of(
    `SELECT mailbox_id, MAX(mod_content) AS top, COUNT(*) AS n FROM ${database}.revision
      WHERE mailbox_id IN (?) GROUP BY mailbox_id`,
  );
  // Configuration sections carry no change stamp: a checksum of their text stands in (the table is small).
  const config = await of(
    `SELECT mailbox_id, SUM(CRC32(CONCAT(section, ':', COALESCE(metadata, '')))) AS top, COUNT(*) AS n
       FROM zimbra.mailbox_metadata WHERE mailbox_id IN (?) GROUP BY mailbox_id`,
  );
  return new Map(
    mailboxes.map((m) => [
      m.id,
      // The account's name too: a rename of the account changes only `comment`.
      JSON.stringify([
        m.change_checkpoint,
        items.get(m.id) ?? '0.0',
        tags.get(m.id) ?? '0.0',
        revisions.get(m.id) ?? '0.0',
        config.get(m.id) ?? '0.0',
        m.comment,
      ]),
    ]),
  );
}

/**
 * Reads one mailbox as of one instant: a read-only transaction with a consistent snapshot (InnoDB), so
 * the server writes on, unblocked, while every query sees the same state. The mailbox, its folders and
 * tags go to `start`; messages and contacts then stream to `item` in id order (bounded memory whatever the
 * mailbox size). False when the mailbox no longer exists.
 */
export async function readMailbox(
  db: Connection,
  mailboxId: number,
  groups: number,
  handle: {
    /** The mailbox row, folders and tags, before any item. */
    start(contents: MailboxContents): Promise<void>;
    item(item: ItemRow): Promise<void>;
  },
): Promise<boolean> {
  const database = mailboxGroupDatabase(mailboxId, groups);
  await db.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
  await db.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
  try {
    const [row] = (await db.query(
      'SELECT id, account_id, comment, change_checkpoint FROM zimbra.mailbox WHERE id = ?',
      [mailboxId],
    )) as MailboxTableRow[];
    if (!row) return false;
    const mark = (await changeMarks(db, database, [row])).get(row.id) ?? '';
    const folders = (
      (await db.query(
        `SELECT id, type, name, parent_id, metadata FROM ${database}.mail_item
          WHERE mailbox_id = ? AND type IN (?) ORDER BY id`,
        [mailboxId, [ITEM_TYPE.folder, ITEM_TYPE.searchFolder, ITEM_TYPE.mountpoint]],
      )) as {
        id: number;
        type: number;
        name: string | null;
        parent_id: number | null;
        metadata: string | null;
      }[]
    ).map((f) => ({ id: f.id, type: f.type, name: f.name, parentId: f.parent_id, metadata: f.metadata }));
    const tags = (
      (await db.query(`SELECT id, name FROM ${database}.tag WHERE mailbox_id = ? ORDER BY id`, [
        mailboxId,
      ])) as { id: number; name: string }[]
    ).map((t) => ({ id: t.id, name: t.name }));
    const tagNames = new Map(tags.map((t) => [t.id, t.name]));
    const config = (
      (await db.query(
        'SELECT section, metadata FROM zimbra.mailbox_metadata WHERE mailbox_id = ? ORDER BY section',
        [mailboxId],
      )) as { section: string; metadata: string | null }[]
    ).map((r) => ({ section: r.section, metadata: r.metadata ?? '' }));
    const notScanned = (
      (await db.query(
        `SELECT type, COUNT(*) AS count FROM ${database}.mail_item
          WHERE mailbox_id = ? AND type NOT IN (?) GROUP BY type ORDER BY type`,
        [mailboxId, SCANNED_TYPES],
      )) as { type: number; count: bigint | number }[]
    ).map((r) => ({ type: r.type, count: Number(r.count) }));
    await handle.start({ mailbox: mailboxRow(row, mark), folders, tags, config, notScanned });
    const revisions = Map.groupBy(
      (
        (await db.query(
          `SELECT item_id, version, date, size, blob_digest, name, metadata, locator, mod_content
             FROM ${database}.revision WHERE mailbox_id = ? ORDER BY item_id, version`,
          [mailboxId],
        )) as {
          item_id: number;
          version: number;
          date: number;
          size: number | bigint;
          blob_digest: string | null;
          name: string | null;
          metadata: string | null;
          locator: string | null;
          mod_content: number;
        }[]
      ).map((r) => ({
        itemId: r.item_id,
        version: r.version,
        date: r.date * 1000,
        size: Number(r.size),
        digest: r.blob_digest,
        name: r.name,
        metadata: r.metadata,
        volumeId: r.locator,
        modContent: r.mod_content,
      })),
      (r) => r.itemId,
    );
    const stream = db.queryStream(
      `SELECT mi.id, mi.type, mi.parent_id, mi.folder_id, mi.flags, mi.unread, mi.blob_digest, mi.size, mi.locator,
              mi.mod_content, mi.date, mi.subject, mi.sender, mi.recipients, mi.metadata, mi.name,
              (SELECT GROUP_CONCAT(ti.tag_id) FROM ${database}.tagged_item ti
                WHERE ti.mailbox_id = mi.mailbox_id AND ti.item_id = mi.id) AS tag_ids
         FROM ${database}.mail_item mi
        WHERE mi.mailbox_id = ? AND mi.type IN (?)
        ORDER BY mi.id`,
      [mailboxId, Object.keys(ROW_TYPES).map(Number)],
    );
    for await (const raw of stream) {
      const r = raw as {
        id: number;
        type: number;
        parent_id: number | null;
        folder_id: number;
        flags: number;
        unread: number | null;
        blob_digest: string | null;
        size: number | bigint;
        locator: string | null;
        mod_content: number;
        date: number;
        subject: string | null;
        sender: string | null;
        recipients: string | null;
        metadata: string | null;
        name: string | null;
        tag_ids: string | null;
      };
      const tagIds = r.tag_ids ? r.tag_ids.split(',').map(Number) : [];
      await handle.item({
        id: r.id,
        type: ROW_TYPES[r.type] ?? 'message',
        folderId: r.folder_id,
        parentId:
          r.type === ITEM_TYPE.comment ||
          ((r.type === ITEM_TYPE.message || r.type === ITEM_TYPE.chat) && (r.parent_id ?? 0) > 0)
            ? r.parent_id
            : null,
        flags: r.flags | ((r.unread ?? 0) > 0 ? FLAG.unread : 0),
        tags: tagIds
          .map((t) => tagNames.get(t))
          .filter((n): n is string => n !== undefined)
          .sort(),
        digest: r.blob_digest,
        size: Number(r.size),
        volumeId: r.locator,
        modContent: r.mod_content,
        date: r.date * 1000,
        subject: r.subject,
        sender: r.sender,
        recipients: r.recipients,
        fields: r.type === ITEM_TYPE.contact ? contactFieldsOf(r.metadata) : {},
        metadata: r.metadata,
        name: r.name,
        revisions: (revisions.get(r.id) ?? []).map(({ itemId: _i, ...rev }) => rev),
      });
    }
    return true;
  } finally {
    await db.query('COMMIT');
  }
}

function mailboxRow(r: MailboxTableRow, changeMark: string): MailboxRow {
  return {
    mailboxId: r.id,
    accountId: r.account_id,
    accountName: r.comment ?? '',
    changeCheckpoint: r.change_checkpoint,
    changeMark,
  };
}
