import { createHash } from 'node:crypto';
import { linkSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { inviteHead } from '#core/calendar/invite-metadata.ts';
import { storedText, stripControlCharacters } from '#core/index/apply-note-op.ts';
import type { DirectoryEntry } from '#core/ldap/directory-entry.ts';
import { formatLdif } from '#core/ldap/ldif.ts';
import { FIRST_USER_ID, FLAG, FLAG_NAMES, FOLDER_ID, ITEM_TYPE } from '#core/mail-item.ts';
import {
  type DocumentState,
  type FolderState,
  type MailboxState,
  type MailSnapshot,
  type NoteState,
  systemFolders,
  VIEW,
} from '#core/mail-snapshot.ts';
import { encodeRecord } from '#core/redo/encode-record.ts';
import { OP, opCodeOf } from '#core/redo/op-codes.ts';
import type { CreateMessageData, OpData, OpDataOf, RecordHeader, TxnId } from '#core/redo/redo-record.ts';
import { LATEST_VERSION } from '#core/redo/version.ts';
import { NON_MAIL_FOLDERS } from '#core/restore/folder-paths.ts';
import { blobStorePath } from '#core/scan/blob-store-path.ts';
import { encodeMetadata } from '#core/scan/zimbra-metadata.ts';
import { seededRandom } from '#core/seeded-random.ts';
import { sha256Hex, zimbraDigest } from '#core/zimbra-digest.ts';
import {
  EASTERN,
  type InviteSpec,
  inviteMetadata,
  parsedDateTime,
} from '#local/mail-host/calendar-invites.ts';
import {
  type DirectoryAccount,
  type DirectoryDomain,
  directoryEntries,
} from '#local/mail-host/directory-entries.ts';
import { controlHeader, RedoLogFiles } from '#local/mail-host/redo-log-files.ts';

export interface SimulatorOptions {
  /** Root of the simulated host (`redolog/`, `store/`, `ldap/` are created inside). */
  hostDir: string;
  seed: number;
  accounts?: number;
  /** The open-source default is true: no archive survives a rollover. Default false (keep archives). */
  deleteOnRollover?: boolean;
  /** Roll over when redo.log reaches this size. Default 256 KiB. */
  rolloverBytes?: number;
  startTime?: number;
  serverId?: string;
  /** Each record advances the clock by 1 ms to this many ms (uniform). Default 2000; larger spans days. */
  tickMaxMs?: number;
}

interface Account extends DirectoryAccount {
  mailboxId: number;
}

type Mutation = (state: MailSnapshot) => void;

/** The actions of the simulator's workload (the names its counts use). */
export type SimulatorAction =
  | 'deliver'
  | 'conversation'
  | 'move'
  | 'flag'
  | 'read'
  | 'tag'
  | 'trash'
  | 'empty-trash'
  | 'delete'
  | 'create-folder'
  | 'rename-folder'
  | 'draft'
  | 'create-contact'
  | 'modify-contact'
  | 'aborted'
  | 'purge-imap'
  | 'purge-old'
  | 'rename-account'
  | 'create-account'
  | 'delete-mailbox'
  | 'copy'
  | 'imap-copy'
  | 'rename-tag'
  | 'create-appointment'
  | 'create-task'
  | 'update-invite'
  | 'reply-invite'
  | 'delete-calendar-item'
  | 'ical-reply'
  | 'save-document'
  | 'revise-document'
  | 'purge-revision'
  | 'rename-document'
  | 'delete-document'
  | 'color-folder'
  | 'share-folder'
  | 'unshare-folder'
  | 'subscribe-folder'
  | 'create-search'
  | 'modify-search'
  | 'create-mountpoint'
  | 'chat'
  | 'save-chat'
  | 'set-retention'
  | 'hide-from-activesync'
  | 'offline-sync-days'
  | 'move-document-path'
  | 'imap-subscriptions'
  | 'app-config'
  | 'delete-config'
  | 'yahoo-auth'
  | 'custom-data'
  | 'create-link'
  | 'create-note'
  | 'edit-note'
  | 'reposition-note'
  | 'color-note'
  | 'delete-note'
  | 'comment-document';

interface Commit {
  time: number;
  mutate: Mutation;
}

/** Blobs larger than this are stored gzipped on the volume (Zimbra's `zimbraVolumeCompressionThreshold`). */
const BLOB_COMPRESS_THRESHOLD = 64 * 1024;
const DOMAINS = ['example.com', 'example.org'];
/** Codes of the ops the simulator writes beyond the hand-decoded ones. */
const OP_CODE = {
  CopyItem: opCodeOf('CopyItem') as number,
  ImapCopyItem: opCodeOf('ImapCopyItem') as number,
  RenameTag: opCodeOf('RenameTag') as number,
  CreateNote: opCodeOf('CreateNote') as number,
  EditNote: opCodeOf('EditNote') as number,
  RepositionNote: opCodeOf('RepositionNote') as number,
  CreateComment: opCodeOf('CreateComment') as number,
  SetCalendarItem: opCodeOf('SetCalendarItem') as number,
  CreateInvite: opCodeOf('CreateInvite') as number,
  ModifyInvitePartStat: opCodeOf('ModifyInvitePartStat') as number,
  ICalReply: opCodeOf('ICalReply') as number,
  SaveDocument: opCodeOf('SaveDocument') as number,
  AddDocumentRevision: opCodeOf('AddDocumentRevision') as number,
  PurgeRevision: opCodeOf('PurgeRevision') as number,
  RenameItem: opCodeOf('RenameItem') as number,
  ColorItem: opCodeOf('ColorItem') as number,
  GrantAccess: opCodeOf('GrantAccess') as number,
  RevokeAccess: opCodeOf('RevokeAccess') as number,
  SetFolderUrl: opCodeOf('SetFolderUrl') as number,
  CreateSavedSearch: opCodeOf('CreateSavedSearch') as number,
  ModifySavedSearch: opCodeOf('ModifySavedSearch') as number,
  CreateMountpoint: opCodeOf('CreateMountpoint') as number,
  CreateChat: opCodeOf('CreateChat') as number,
  SaveChat: opCodeOf('SaveChat') as number,
  SetRetentionPolicy: opCodeOf('SetRetentionPolicy') as number,
  RenameItemPath: opCodeOf('RenameItemPath') as number,
  SetConfig: opCodeOf('SetConfig') as number,
  DeleteConfig: opCodeOf('DeleteConfig') as number,
  SetCustomData: opCodeOf('SetCustomData') as number,
  CreateLink: opCodeOf('CreateLink') as number,
  SetDisableActiveSync: opCodeOf('SetDisableActiveSync') as number,
  SetWebOfflineSyncDays: opCodeOf('SetWebOfflineSyncDays') as number,
};
const DAY_MS = 24 * 3600 * 1000;
/** zimbraMailTrashLifetime's default: a retention purge removes what last changed in Trash longer ago. */
export const TRASH_LIFETIME_MS = 30 * DAY_MS;
/** The account's own time zone, as the server writes it beside each invite it records. */
const ACCOUNT_TIME_ZONE = encodeMetadata({ ...EASTERN });

const WORDS =
  'backup restore mail server offsite redo log blob folder message quarterly report invoice'.split(' ');

/**
 * A mail host that behaves like a Zimbra mailbox server on disk: a seeded, reproducible workload written
 * to a live redo.log (with rollover and optional crash), blobs in the blob-store layout, accounts as LDIF,
 * and the ground truth of every mailbox at any instant.
 */
export class MailHostSimulator {
  readonly hostDir: string;
  /** The message volume's root (Zimbra's volume 1, `/opt/zimbra/store`): blobs live below it. */
  readonly volumePath: string;
  readonly serverId: string;
  readonly redo: RedoLogFiles;
  readonly accounts: Account[] = [];
  readonly domains: DirectoryDomain[];
  private readonly cos: { name: string; zimbraId: string; createdAt: number };
  /** The directory after each change, for `directoryAt`. */
  private readonly directoryHistory: { time: number; entries: DirectoryEntry[] }[] = [];
  private readonly random: () => number;
  private readonly rolloverBytes: number;
  private readonly tickMaxMs: number;
  private now: number;
  private txnCounter = 0;
  private changeId = 1000;
  private nextMailboxId = 1;
  private readonly nextItemId = new Map<number, number>();
  /**
   * The real conversation each threaded message is in (`mailbox:message` → conversation id), as the server's
   * threading decided; a message not here stands alone. Entries of deleted messages are left (ids are never
   * reused).
   */
  private readonly convOf = new Map<string, number>();
  private readonly truth: MailSnapshot = { mailboxes: {} };
  private readonly commits: Commit[] = [];
  private readonly blobFiles = new Map<string, string>();
  /** Transactions written but not yet committed: committed on a later step (interleaving). */
  private readonly deferred: { txnId: TxnId; opCode: number; mutate: Mutation }[] = [];
  /**
   * When each message in Trash last changed (`<mailbox>:<id>` → ms): the server's `change_date`, which its
   * retention purge measures Trash by (zimbraMailPurgeUseChangeDateForTrash, true by default).
   */
  private readonly trashChanged = new Map<string, number>();
  /** The series invite of each calendar item (`<mailbox>:<id>`), to write its updates and replies from. */
  private readonly series = new Map<string, InviteSpec>();
  readonly counts: Record<string, number> = {};
  /** What each retention purge removed and when it committed, for tests (the redo record does not say). */
  readonly purged: { time: number; mailboxId: number; ids: number[] }[] = [];

  constructor(options: SimulatorOptions) {
    this.hostDir = options.hostDir;
    this.volumePath = join(this.hostDir, 'store', '0');
    this.random = seededRandom(options.seed);
    this.serverId = options.serverId ?? uuidFrom(this.random);
    this.rolloverBytes = options.rolloverBytes ?? 256 * 1024;
    this.tickMaxMs = options.tickMaxMs ?? 2000;
    this.now = options.startTime ?? Date.UTC(2026, 10, 20, 9, 0, 0);
    mkdirSync(this.volumePath, { recursive: true });
    mkdirSync(join(this.hostDir, 'ldap'), { recursive: true });
    // Directory ids derive from names, not the generator, so adding directory detail changes no workload.
    this.cos = { name: 'default', zimbraId: stableUuid(this.serverId, 'cos:default'), createdAt: this.now };
    this.domains = DOMAINS.map((name) => ({
      name,
      zimbraId: stableUuid(this.serverId, `domain:${name}`),
      listId: stableUuid(this.serverId, `list:all@${name}`),
      createdAt: this.now,
    }));
    this.redo = new RedoLogFiles({
      dir: join(this.hostDir, 'redolog'),
      serverId: this.serverId,
      deleteOnRollover: options.deleteOnRollover ?? false,
      now: this.now,
    });
    for (let i = 0; i < (options.accounts ?? 5); i++) this.createAccount();
  }

  /** The state every mailbox had at `time` (ms): all transactions committed at or before it. */
  truthAt(time: number): MailSnapshot {
    const state: MailSnapshot = { mailboxes: {} };
    for (const c of this.commits) if (c.time <= time) c.mutate(state);
    return state;
  }

  /** The directory (accounts, aliases, lists, domains, COS) as it was at `time` (ms). */
  directoryAt(time: number): DirectoryEntry[] {
    let found: DirectoryEntry[] = [];
    for (const version of this.directoryHistory) if (version.time <= time) found = version.entries;
    return structuredClone(found);
  }

  /** The directory now. */
  directory(): DirectoryEntry[] {
    return structuredClone(this.directoryHistory.at(-1)?.entries ?? []);
  }

  current(): MailSnapshot {
    return structuredClone(this.truth);
  }

  /** Commit times in order (instants at which the truth changes). */
  commitTimes(): number[] {
    return this.commits.map((c) => c.time);
  }

  time(): number {
    return this.now;
  }

  /** Runs `steps` random actions, rolling over whenever redo.log reaches the configured size. */
  run(steps: number): void {
    for (let i = 0; i < steps; i++) this.step();
  }

  step(): void {
    for (const d of [...this.deferred]) if (this.random() < 0.5) this.commitDeferred(d);
    const actions = this.actions();
    const total = actions.reduce((sum, [, weight]) => sum + weight, 0);
    let pick = this.random() * total;
    for (const [, weight, action] of actions) {
      pick -= weight;
      if (pick <= 0) {
        action();
        break;
      }
    }
    if (this.redo.position().offset >= this.rolloverBytes) this.rollover();
  }

  /**
   * Runs one named action now (a test that needs it regardless of what the seed drew). The action may
   * find nothing to act on (no message to move…): the counts say what was done.
   */
  act(name: SimulatorAction): void {
    const found = this.actions().find(([n]) => n === name);
    found?.[2]();
    if (this.redo.position().offset >= this.rolloverBytes) this.rollover();
  }

  /** The workload: each action with its weight. */
  private actions(): [SimulatorAction, number, () => void][] {
    return [
      ['deliver', 35, () => this.deliver()],
      ['conversation', 8, () => this.conversationAction()],
      ['move', 10, () => this.move()],
      ['flag', 8, () => this.alterFlag('\\Flagged')],
      ['read', 8, () => this.alterFlag('\\Unread')],
      ['tag', 6, () => this.tag()],
      ['trash', 8, () => this.trash()],
      ['empty-trash', 2, () => this.emptyTrash()],
      ['delete', 3, () => this.hardDelete()],
      ['create-folder', 4, () => this.createFolder()],
      ['rename-folder', 3, () => this.renameFolder()],
      ['draft', 4, () => this.draft()],
      ['create-contact', 4, () => this.createContact()],
      ['modify-contact', 2, () => this.modifyContact()],
      ['aborted', 2, () => this.abortedMove()],
      ['purge-imap', 1, () => this.purgeImapDeleted()],
      ['purge-old', 1, () => this.purgeOld()],
      ['rename-account', 0.5, () => this.renameAccount()],
      ['create-account', 0.5, () => this.createAccount()],
      ['delete-mailbox', 0.3, () => this.deleteMailbox()],
      ['copy', 3, () => this.copy('CopyItem')],
      ['imap-copy', 2, () => this.copy('ImapCopyItem')],
      ['rename-tag', 1, () => this.renameTag()],
      ['create-appointment', 2, () => this.createCalendarItem('appointment')],
      ['create-task', 1, () => this.createCalendarItem('task')],
      ['update-invite', 3, () => this.updateInvite()],
      ['reply-invite', 1, () => this.replyToInvite()],
      ['delete-calendar-item', 0.5, () => this.deleteCalendarItem()],
      ['ical-reply', 1, () => this.receiveReply()],
      ['save-document', 2, () => this.saveDocument()],
      ['revise-document', 2, () => this.reviseDocument()],
      ['purge-revision', 0.7, () => this.purgeRevision()],
      ['rename-document', 0.5, () => this.renameDocument()],
      ['delete-document', 0.4, () => this.deleteDocument()],
      ['color-folder', 0.5, () => this.colorFolder()],
      ['share-folder', 0.6, () => this.shareFolder()],
      ['unshare-folder', 0.3, () => this.unshareFolder()],
      ['subscribe-folder', 0.3, () => this.subscribeFolder()],
      ['create-search', 0.5, () => this.createSearch()],
      ['modify-search', 0.3, () => this.modifySearch()],
      ['create-mountpoint', 0.4, () => this.createMountpoint()],
      ['chat', 0.4, () => this.chat(false)],
      ['save-chat', 0.3, () => this.chat(true)],
      ['set-retention', 0.3, () => this.setRetention()],
      ['hide-from-activesync', 0.2, () => this.hideFromActiveSync()],
      ['offline-sync-days', 0.2, () => this.offlineSyncDays()],
      ['move-document-path', 0.3, () => this.moveDocumentToPath()],
      ['imap-subscriptions', 0.4, () => this.configure('imap')],
      ['app-config', 0.3, () => this.configure('app')],
      ['delete-config', 0.2, () => this.configure('delete')],
      ['yahoo-auth', 0.1, () => this.configure('secret')],
      ['custom-data', 0.4, () => this.customData()],
      ['create-link', 0.2, () => this.createLink()],
      ['create-note', 0.4, () => this.createNote()],
      ['edit-note', 0.3, () => this.editNote()],
      ['reposition-note', 0.2, () => this.repositionNote()],
      ['color-note', 0.1, () => this.colorNote()],
      ['delete-note', 0.1, () => this.deleteNote()],
      ['comment-document', 0.4, () => this.commentOnDocument()],
    ];
  }

  rollover(): void {
    this.redo.rollover(this.tick(), this.newTxn());
  }

  /** The server dies in the middle of writing a message record: open = 1 stays, the record is torn. */
  crash(): void {
    const mbox = this.liveMailbox();
    if (!mbox) return;
    const content = this.messageContent(mbox.mailboxId);
    const data = this.messageData(
      mbox.mailboxId,
      this.allocId(mbox.mailboxId),
      FOLDER_ID.inbox,
      content,
      false,
    );
    const header = this.header(OP.CreateMessage, mbox.mailboxId, this.newTxn());
    const bytes = encodeRecord(header, { op: 'CreateMessage', ...data });
    this.redo.crash(bytes.subarray(0, Math.max(1, Math.floor(bytes.length * this.random()))));
  }

  /** The server restarts: open transactions of the crashed file are committed or aborted in the new file. */
  restart(): void {
    const open = this.redo.restart(this.tick());
    for (const txnId of open) {
      const d = this.deferred.find((x) => x.txnId.time === txnId.time && x.txnId.counter === txnId.counter);
      if (d && this.random() < 0.5) this.commitDeferred(d);
      else {
        this.redo.append(controlHeader(OP.AbortTxn, this.tick(), txnId), {
          op: 'AbortTxn',
          txnOpCode: d?.opCode ?? 0,
        });
        if (d) this.deferred.splice(this.deferred.indexOf(d), 1);
      }
    }
  }

  /** Commits what is pending and closes redo.log cleanly (open = 0). */
  close(): void {
    for (const d of [...this.deferred]) this.commitDeferred(d);
    this.redo.close(this.tick());
  }

  // ---- actions -------------------------------------------------------------------------------------

  private deliver(): void {
    const live = this.accounts.filter((a) => !a.deleted && this.truth.mailboxes[a.mailboxId]);
    if (live.length === 0) return;
    const count = Math.min(live.length, this.random() < 0.25 ? 2 + Math.floor(this.random() * 3) : 1);
    const recipients = shuffle(live, this.random).slice(0, count);
    const content = this.messageContent(recipients[0]?.mailboxId ?? 0);
    const old = this.random() < 0.1; // old mail (an import): a PurgeOldMessages can remove it from Trash
    // Whole seconds, as the server's database keeps an item's date (a scan reads it from there).
    const receivedDate = wholeSeconds(
      old ? this.now - TRASH_LIFETIME_MS - Math.floor(this.random() * 1e9) : this.now,
    );
    if (recipients.length === 1) {
      const mbox = (recipients[0] as Account).mailboxId;
      const data = this.messageData(mbox, this.allocId(mbox), FOLDER_ID.inbox, content, true, receivedDate);
      Object.assign(data, this.threadFor(mbox, data.msgId));
      // Every so often (by change number, not by chance) the message is an invitation: the server files it
      // in the Calendar in the same transaction, with the invitation's MIME (no draw from the random stream).
      const invite = this.changeId % 13 === 0 ? this.invitation(mbox, data.msgId) : undefined;
      const delivered = this.messageMutation(mbox, data, content);
      this.single(
        OP.CreateMessage,
        mbox,
        { op: 'CreateMessage', ...data },
        (s) => {
          delivered(s);
          invite?.mutate(s);
        },
        false,
        invite,
      );
      this.count(invite ? 'invite' : 'deliver');
      return;
    }
    // Shared delivery: the body once in a StoreIncomingBlob, then a linked CreateMessage per recipient.
    const path = `/opt/zimbra/data/mailboxd/incoming/${this.changeId}-${Math.floor(this.random() * 1e9)}.msg`;
    const stored = this.maybeGzip(content);
    this.single(
      OP.StoreIncomingBlob,
      -1,
      {
        op: 'StoreIncomingBlob',
        mailboxIds: recipients.map((r) => r.mailboxId),
        digest: zimbraDigest(content),
        path,
        size: content.length,
        body: { offset: 0, length: stored.length, bytes: stored },
      },
      () => {},
    );
    for (const r of recipients) {
      const data = this.messageData(
        r.mailboxId,
        this.allocId(r.mailboxId),
        FOLDER_ID.inbox,
        content,
        false,
        receivedDate,
      );
      data.shared = true;
      data.path = path;
      data.body = { type: 'link' };
      this.single(
        OP.CreateMessage,
        r.mailboxId,
        { op: 'CreateMessage', ...data },
        this.messageMutation(r.mailboxId, data, content),
      );
    }
    this.count('deliver-shared');
  }

  private move(): void {
    const pick = this.pickMessage();
    if (!pick) return;
    const [mbox, id, state] = pick;
    const folders = plainFolderIds(state).filter(
      (f) => f !== 1 && f !== FOLDER_ID.trash && !NON_MAIL_FOLDERS.has(f),
    );
    const dest = folders[Math.floor(this.random() * folders.length)] ?? FOLDER_ID.inbox;
    this.moveTo(mbox, id, dest);
    this.count('move');
  }

  private trash(): void {
    const pick = this.pickMessage();
    if (!pick) return;
    this.moveTo(pick[0], pick[1], FOLDER_ID.trash);
    this.count('trash');
  }

  private moveTo(mbox: number, id: number, dest: number): void {
    // A message moved alone into Junk leaves its conversation (MailItem.move → Message.detach).
    if (dest === FOLDER_ID.junk && this.truth.mailboxes[mbox]?.messages[id]?.folderId !== FOLDER_ID.junk)
      this.convOf.delete(`${mbox}:${id}`);
    const data: OpData = {
      op: 'MoveItem',
      ids: [id],
      itemType: ITEM_TYPE.message,
      destFolderId: dest,
      constraint: null,
      uidNext: -1,
    };
    this.single(OP.MoveItem, mbox, data, (s) => {
      const state = s.mailboxes[mbox];
      const m = state?.messages[id];
      if (!state || !m || m.folderId === dest) return;
      // The server marks a message moved into Trash read (MailItem.move).
      if (inTrash(state, dest) && !inTrash(state, m.folderId)) m.flags &= ~FLAG.unread;
      m.folderId = dest;
    });
  }

  /**
   * Where the server threads a delivery: now and then into the thread of a message already in the mailbox
   * (a new conversation made with it when it stood alone), sometimes joining a second thread to it.
   */
  private threadFor(
    mbox: number,
    msgId: number,
  ): { convId: number; convFirstMsgId: number; mergedConvIds: number[] } | undefined {
    if (this.random() >= 0.4) return undefined;
    const messages = this.truth.mailboxes[mbox]?.messages ?? {};
    const candidates = Object.entries(messages)
      .filter(([, m]) => m.folderId !== FOLDER_ID.junk && !(m.flags & FLAG.draft))
      .map(([id]) => Number(id));
    const other = candidates[Math.floor(this.random() * candidates.length)];
    if (other === undefined) return undefined;
    let convId = this.convOf.get(`${mbox}:${other}`);
    let first = -1;
    if (convId === undefined) {
      convId = this.allocId(mbox);
      first = other;
      this.convOf.set(`${mbox}:${other}`, convId);
    }
    const merged: number[] = [];
    const threads = this.threadsOf(mbox);
    threads.delete(convId);
    const joined = [...threads.keys()][Math.floor(this.random() * threads.size)];
    if (joined !== undefined && this.random() < 0.15) {
      merged.push(joined);
      for (const id of threads.get(joined) ?? []) this.convOf.set(`${mbox}:${id}`, convId);
    }
    this.convOf.set(`${mbox}:${msgId}`, convId);
    this.count('deliver-threaded');
    return { convId, convFirstMsgId: first, mergedConvIds: merged };
  }

  /** The mailbox's live conversations and their live messages, in id order. */
  private threadsOf(mbox: number): Map<number, number[]> {
    const messages = this.truth.mailboxes[mbox]?.messages ?? {};
    const threads = new Map<number, number[]>();
    for (const [key, conv] of this.convOf) {
      const [m, id] = key.split(':').map(Number) as [number, number];
      if (m !== mbox || !messages[id]) continue;
      threads.set(conv, [...(threads.get(conv) ?? []), id]);
    }
    for (const ids of threads.values()) ids.sort((a, b) => a - b);
    return threads;
  }

  /**
   * An action in the web client's conversation view (ConvActionRequest): on a thread, or on a message alone
   * (its virtual conversation, −its id), with a target constraint such as the client's "-dtjs". The server
   * applies it to the thread's messages the constraint lets in.
   */
  private conversationAction(): void {
    const account = this.liveMailbox();
    const state = account && this.truth.mailboxes[account.mailboxId];
    if (!account || !state) return;
    const mbox = account.mailboxId;
    const threads = this.threadsOf(mbox);
    const alone = Object.keys(state.messages)
      .map(Number)
      .filter((id) => !this.convOf.has(`${mbox}:${id}`));
    let convId: number;
    let members: number[];
    const thread = [...threads.keys()][Math.floor(this.random() * threads.size)];
    if (thread !== undefined && this.random() < 0.8) {
      convId = thread;
      members = threads.get(thread) ?? [];
    } else {
      const id = alone[Math.floor(this.random() * alone.length)];
      if (id === undefined) return;
      convId = -id;
      members = [id];
    }
    const constraint =
      CONVERSATION_CONSTRAINTS[Math.floor(this.random() * CONVERSATION_CONSTRAINTS.length)] ?? null;
    const reached = (id: number) => {
      const folderId = state.messages[id]?.folderId ?? FOLDER_ID.inbox;
      const where = {
        trash: inTrash(state, folderId),
        junk: folderId === FOLDER_ID.junk,
        sent: folderId === FOLDER_ID.sent,
        drafts: folderId === FOLDER_ID.drafts,
      };
      if (constraint === '-dtjs') return !where.trash && !where.junk && !where.sent && !where.drafts;
      if (constraint === '-tj') return !where.trash && !where.junk;
      if (constraint === 't') return where.trash;
      return true;
    };
    const targets = members.filter(reached);
    const base = { ids: [convId], itemType: ITEM_TYPE.conversation, constraint };
    const draw = this.random();
    if (draw < 0.45) {
      const folders = plainFolderIds(state).filter((f) => f !== 1 && !NON_MAIL_FOLDERS.has(f));
      const dest = folders[Math.floor(this.random() * folders.length)] ?? FOLDER_ID.inbox;
      this.single(OP.MoveItem, mbox, { op: 'MoveItem', ...base, destFolderId: dest, uidNext: -1 }, (s) => {
        const m = s.mailboxes[mbox];
        for (const id of targets) {
          const message = m?.messages[id];
          if (!m || !message || message.folderId === dest) continue;
          if (inTrash(m, dest) && !inTrash(m, message.folderId)) message.flags &= ~FLAG.unread;
          message.folderId = dest;
        }
      });
    } else if (draw < 0.9) {
      const flagName = draw < 0.75 ? '\\Unread' : '\\Flagged';
      const bit = FLAG_NAMES[flagName] as number;
      const tagged = this.random() < (flagName === '\\Unread' ? 0.2 : 0.6);
      const data: OpData = { op: 'AlterItemTag', ...base, tagName: flagName, tagged };
      this.single(OP.AlterItemTag, mbox, data, (s) => {
        for (const id of targets) {
          const message = s.mailboxes[mbox]?.messages[id];
          if (message) message.flags = tagged ? message.flags | bit : message.flags & ~bit;
        }
      });
    } else {
      this.single(OP.DeleteItem, mbox, { op: 'DeleteItem', ...base }, (s) => {
        for (const id of targets) delete s.mailboxes[mbox]?.messages[id];
      });
      for (const id of targets) this.removeBlob(mbox, id);
    }
    this.count('conversation');
  }

  /** A copy by the web client (CopyItem) or by IMAP COPY (ImapCopyItem): the same body under a new id. */
  private copy(op: 'CopyItem' | 'ImapCopyItem'): void {
    const pick = this.pickMessage();
    if (!pick) return;
    const [mbox, sourceId, state] = pick;
    const folders = plainFolderIds(state).filter((f) => f !== 1 && !NON_MAIL_FOLDERS.has(f));
    const dest = folders[Math.floor(this.random() * folders.length)] ?? FOLDER_ID.inbox;
    const newId = this.allocId(mbox);
    const copies = [{ sourceId, newId, uuid: null }];
    const data: OpData =
      op === 'CopyItem'
        ? { op, itemType: ITEM_TYPE.message, destFolderId: dest, copies, fromDumpster: false }
        : { op, itemType: ITEM_TYPE.message, destFolderId: dest, copies };
    this.linkBlob(mbox, sourceId, newId);
    const conv = this.convOf.get(`${mbox}:${sourceId}`);
    const source = state.messages[sourceId];
    if (conv !== undefined && source) {
      // An IMAP copy takes the source's place in its thread; a copy joins it unless it is a draft or goes
      // into or out of Junk (MailItem.icopy, MailItem.copy).
      if (op === 'ImapCopyItem') {
        this.convOf.delete(`${mbox}:${sourceId}`);
        this.convOf.set(`${mbox}:${newId}`, conv);
      } else if (
        !(source.flags & FLAG.draft) &&
        (source.folderId === FOLDER_ID.junk) === (dest === FOLDER_ID.junk)
      )
        this.convOf.set(`${mbox}:${newId}`, conv);
    }
    this.single(OP_CODE[op], mbox, data, (s) => {
      const source = s.mailboxes[mbox]?.messages[sourceId];
      const m = s.mailboxes[mbox];
      if (source && m) m.messages[newId] = { ...source, folderId: dest, tags: [...source.tags] };
    });
    this.count(op === 'CopyItem' ? 'copy' : 'imap-copy');
  }

  /**
   * The calendar item an invitation in message `msgId` creates: a SetCalendarItem with the invite and its
   * MIME, written in the delivery's transaction. Draws nothing from the random stream.
   */
  private invitation(mbox: number, msgId: number): { opCode: number; data: OpData; mutate: Mutation } {
    const calItemId = this.allocId(mbox);
    const uid = `${msgId}-${this.changeId}@offsite.test`;
    const start = Math.floor(this.now / 3_600_000) * 3_600_000 + 2 * DAY_MS;
    const spec: InviteSpec = {
      type: 'appointment',
      uid,
      sequence: 0,
      start,
      end: start + 3_600_000,
      zoned: true,
      summary: `Meeting ${msgId}`,
      location: 'Room 1',
      organizer: 'boss@example.net',
      attendees: [{ address: this.addressOf(mbox), name: 'Me', partStat: 'NE' }],
      method: 'REQUEST',
      status: 'CONF',
      isOrganizer: false,
      stamp: this.now,
    };
    const metadata = inviteMetadata(spec);
    const mime = Buffer.from(
      `Content-Type: text/calendar; method=REQUEST\r\n\r\nBEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:${uid}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`,
    );
    const data = this.setCalendarItemData(calItemId, FOLDER_ID.calendar, [metadata], {
      receivedDate: this.now,
      mime: { offset: 0, length: mime.length, bytes: mime },
    });
    return {
      opCode: OP_CODE.SetCalendarItem,
      data,
      mutate: this.calendarMutation(mbox, calItemId, spec, [metadata]),
    };
  }

  /** An appointment (one instance, or a weekly series sometimes with a moved instance) or a task. */
  private createCalendarItem(type: 'appointment' | 'task'): void {
    const account = this.liveMailbox();
    if (!account) return;
    const mbox = account.mailboxId;
    const calItemId = this.allocId(mbox);
    const start = Math.floor((this.now + this.random() * 14 * DAY_MS) / 900_000) * 900_000;
    const recurring = type === 'appointment' && this.random() < 0.4;
    const spec: InviteSpec = {
      type,
      uid: `${mbox}-${calItemId}-${this.changeId}@offsite.test`,
      sequence: 0,
      start,
      end: start + (1 + Math.floor(this.random() * 4)) * 1_800_000,
      zoned: this.random() < 0.7,
      summary: `${WORDS[Math.floor(this.random() * WORDS.length)]}; review, ${calItemId}`,
      location: this.random() < 0.5 ? '' : `Room ${Math.floor(this.random() * 9)}`,
      organizer: account.name,
      attendees:
        type === 'task'
          ? []
          : [{ address: `guest${Math.floor(this.random() * 5)}@example.net`, name: 'Guest', partStat: 'NE' }],
      ...(recurring ? { rrule: 'FREQ=WEEKLY;INTERVAL=1' } : {}),
      method: type === 'task' ? 'PUBLISH' : 'REQUEST',
      status: type === 'task' ? 'NEED' : 'CONF',
      ...(this.random() < 0.5 ? { alarmMinutes: 5 * (1 + Math.floor(this.random() * 6)) } : {}),
      isOrganizer: true,
      stamp: this.now,
      ...(this.random() < 0.3 ? { description: `Agenda:\n1. ${WORDS.join(', ')}` } : {}),
    };
    const invites = [inviteMetadata(spec)];
    if (recurring && this.random() < 0.5) invites.push(inviteMetadata(this.movedInstance(spec, 1)));
    const folderId = type === 'task' ? FOLDER_ID.tasks : FOLDER_ID.calendar;
    this.single(
      OP_CODE.SetCalendarItem,
      mbox,
      this.setCalendarItemData(calItemId, folderId, invites, null),
      this.calendarMutation(mbox, calItemId, spec, invites),
    );
    this.count(type === 'task' ? 'create-task' : 'create-appointment');
  }

  /** Week `week`'s instance of a series, an hour later than the series says. */
  private movedInstance(series: InviteSpec, week: number): InviteSpec {
    const { rrule: _rrule, ...rest } = series;
    const start = series.start + week * 7 * DAY_MS;
    return {
      ...rest,
      start: start + 3_600_000,
      end: series.end + week * 7 * DAY_MS + 3_600_000,
      recurrenceId: parsedDateTime(start, series.zoned),
      summary: `${series.summary} (moved)`,
      stamp: this.now,
    };
  }

  /** A new invite for an item: the series changed (a new sequence), or one instance moved, or all cancelled. */
  private updateInvite(): void {
    const pick = this.pickCalendarItem();
    if (!pick) return;
    const [mbox, calItemId, spec] = pick;
    const roll = this.random();
    let invite: InviteSpec;
    let mutate: Mutation;
    if (roll < 0.2) {
      invite = { ...spec, method: 'CANCEL', status: 'CANC', sequence: spec.sequence + 1, stamp: this.now };
      mutate = (s) => {
        delete s.mailboxes[mbox]?.calendar[calItemId];
      };
      this.series.delete(`${mbox}:${calItemId}`);
    } else if (roll < 0.45 && spec.rrule !== undefined) {
      invite = this.movedInstance(spec, 1 + Math.floor(this.random() * 3));
      const metadata = inviteMetadata(invite);
      mutate = (s) => {
        const item = s.mailboxes[mbox]?.calendar[calItemId];
        if (!item) return;
        const moved = invite.recurrenceId;
        item.invites = [...item.invites.filter((inv) => inviteHead(inv).recurrenceId !== moved), metadata];
      };
    } else {
      invite = {
        ...spec,
        sequence: spec.sequence + 1,
        summary: `${spec.summary.replace(/ \(v\d+\)$/, '')} (v${spec.sequence + 1})`,
        stamp: this.now,
      };
      this.series.set(`${mbox}:${calItemId}`, invite);
      const metadata = inviteMetadata(invite);
      mutate = (s) => {
        const item = s.mailboxes[mbox]?.calendar[calItemId];
        if (item) item.invites = [metadata, ...item.invites.slice(1)];
      };
    }
    const folderId = this.truth.mailboxes[mbox]?.calendar[calItemId]?.folderId ?? FOLDER_ID.calendar;
    const data: OpData = {
      op: 'CreateInvite',
      calItemId,
      partStat: 'NE',
      folderId,
      data: { offset: 0, length: 0, bytes: Buffer.alloc(0) },
      timezone: ACCOUNT_TIME_ZONE,
      invite: inviteMetadata(invite),
      preserveExistingAlarms: false,
      discardExistingInvites: false,
      addRevision: true,
    };
    this.single(OP_CODE.CreateInvite, mbox, data, mutate);
    this.count(invite.method === 'CANCEL' ? 'cancel-invite' : 'update-invite');
  }

  /** An attendee answers: its participation changes on the series invite. */
  private replyToInvite(): void {
    const pick = this.pickCalendarItem();
    if (!pick) return;
    const [mbox, calItemId, spec] = pick;
    const attendee = spec.attendees[0];
    if (!attendee) return;
    const partStat = ['AC', 'TE', 'DE'][Math.floor(this.random() * 3)] as string;
    const answered: InviteSpec = {
      ...spec,
      attendees: [{ ...attendee, partStat }, ...spec.attendees.slice(1)],
      ...(spec.isOrganizer ? {} : { partStat }),
    };
    this.series.set(`${mbox}:${calItemId}`, answered);
    const metadata = inviteMetadata(answered);
    const data: OpData = {
      op: 'ModifyInvitePartStat',
      calItemId,
      recurrence: null,
      cn: attendee.name,
      address: attendee.address,
      cuType: 'IND',
      role: 'REQ',
      partStat,
      rsvp: false,
      sequence: spec.sequence,
      dtStamp: this.now,
    };
    this.single(OP_CODE.ModifyInvitePartStat, mbox, data, (s) => {
      const item = s.mailboxes[mbox]?.calendar[calItemId];
      if (item) item.invites = [metadata, ...item.invites.slice(1)];
    });
    this.count('reply-invite');
  }

  /** The organizer's mailbox receives an attendee's answer (ICalReply, found by UID). */
  private receiveReply(): void {
    const pick = this.pickCalendarItem();
    if (!pick) return;
    const [mbox, calItemId, spec] = pick;
    const attendee = spec.attendees[0];
    if (!spec.isOrganizer || !attendee) return;
    const partStat = ['AC', 'TE', 'DE'][Math.floor(this.random() * 3)] as string;
    const { rrule: _rrule, ...rest } = spec;
    const reply = inviteMetadata({
      ...rest,
      method: 'REPLY',
      attendees: [{ ...attendee, partStat }],
      isOrganizer: false,
      stamp: this.now,
    });
    const answered: InviteSpec = {
      ...spec,
      attendees: [{ ...attendee, partStat }, ...spec.attendees.slice(1)],
    };
    this.series.set(`${mbox}:${calItemId}`, answered);
    const metadata = inviteMetadata(answered);
    this.single(
      OP_CODE.ICalReply,
      mbox,
      { op: 'ICalReply', timezone: ACCOUNT_TIME_ZONE, invite: reply, sender: attendee.address },
      (s) => {
        const item = s.mailboxes[mbox]?.calendar[calItemId];
        if (item) item.invites = [metadata, ...item.invites.slice(1)];
      },
    );
    this.count('ical-reply');
  }

  private deleteCalendarItem(): void {
    const pick = this.pickCalendarItem();
    if (!pick) return;
    const [mbox, calItemId, spec] = pick;
    const itemType = spec.type === 'task' ? ITEM_TYPE.task : ITEM_TYPE.appointment;
    this.single(
      OP.DeleteItem,
      mbox,
      { op: 'DeleteItem', ids: [calItemId], itemType, constraint: null },
      (s) => {
        delete s.mailboxes[mbox]?.calendar[calItemId];
      },
    );
    this.series.delete(`${mbox}:${calItemId}`);
    this.count('delete-calendar-item');
  }

  /** A file uploaded to the Briefcase: a document with its first revision. */
  private saveDocument(): void {
    const account = this.liveMailbox();
    if (!account) return;
    const mbox = account.mailboxId;
    const docId = this.allocId(mbox);
    const name = `${WORDS[Math.floor(this.random() * WORDS.length)]}-${docId}.txt`;
    const content = this.documentContent(docId, 1);
    const description = this.random() < 0.3 ? `notes on ${name}` : '';
    const data = this.documentData(account, docId, FOLDER_ID.briefcase, name, content, description);
    this.writeRevisionBlob(mbox, docId, 1, content);
    const revision = this.revisionOf(1, name, account.name, data.receivedDate, content);
    this.single(OP_CODE.SaveDocument, mbox, { op: 'SaveDocument', ...data }, (s) => {
      const m = s.mailboxes[mbox];
      if (m)
        m.documents[docId] = {
          type: 'document',
          folderId: FOLDER_ID.briefcase,
          flags: 0,
          tags: [],
          name,
          description,
          revisions: [{ ...revision }],
        };
    });
    this.count('save-document');
  }

  /** A new revision of a document: new bytes, sometimes under a new name. */
  private reviseDocument(): void {
    const pick = this.pickDocument();
    if (!pick) return;
    const [account, docId, doc] = pick;
    const mbox = account.mailboxId;
    const version = (doc.revisions.at(-1)?.version ?? 0) + 1;
    const name = this.random() < 0.3 ? `v${version}-${doc.name}` : doc.name;
    const content = this.documentContent(docId, version);
    const data = this.documentData(account, docId, doc.folderId, name, content, doc.description);
    this.writeRevisionBlob(mbox, docId, version, content);
    const revision = this.revisionOf(version, name, account.name, data.receivedDate, content);
    this.single(OP_CODE.AddDocumentRevision, mbox, { op: 'AddDocumentRevision', docId, ...data }, (s) => {
      const d = s.mailboxes[mbox]?.documents[docId];
      if (d) {
        d.name = name;
        d.revisions = [...d.revisions, { ...revision }];
      }
    });
    this.count('revise-document');
  }

  /** Old revisions dropped: one, or it and every older one. */
  private purgeRevision(): void {
    const pick = this.pickDocument();
    if (!pick || pick[2].revisions.length < 2) return;
    const [account, itemId, doc] = pick;
    const mbox = account.mailboxId;
    const old = doc.revisions.slice(0, -1);
    const revision = (old[Math.floor(this.random() * old.length)] as DocumentState['revisions'][number])
      .version;
    const includeOlder = this.random() < 0.5;
    const goes = (v: number) => (includeOlder ? v <= revision : v === revision);
    for (const r of old) if (goes(r.version)) this.removeRevisionBlob(mbox, itemId, r.version);
    this.single(OP_CODE.PurgeRevision, mbox, { op: 'PurgeRevision', itemId, revision, includeOlder }, (s) => {
      const d = s.mailboxes[mbox]?.documents[itemId];
      if (d) d.revisions = d.revisions.filter((r, i) => i === d.revisions.length - 1 || !goes(r.version));
    });
    this.count('purge-revision');
  }

  private renameDocument(): void {
    const pick = this.pickDocument();
    if (!pick) return;
    const [account, itemId, doc] = pick;
    const mbox = account.mailboxId;
    const name = `renamed-${itemId}-${this.changeId}.txt`;
    const data: OpData = {
      op: 'RenameItem',
      itemId,
      itemType: ITEM_TYPE.document,
      folderId: doc.folderId,
      name,
      date: this.now,
    };
    this.single(OP_CODE.RenameItem, mbox, data, (s) => {
      const d = s.mailboxes[mbox]?.documents[itemId];
      const last = d?.revisions.at(-1);
      if (d && last) {
        d.name = name;
        d.revisions = [...d.revisions.slice(0, -1), { ...last, name }];
      }
    });
    this.count('rename-document');
  }

  /**
   * A document filed under a path (RenameItemPath, WebDAV's MOVE): `/Briefcase/<year>/<name>`, the year's
   * folder made when it is not there yet, the document renamed into it.
   */
  private moveDocumentToPath(): void {
    const pick = this.pickDocument();
    if (!pick) return;
    const [account, itemId] = pick;
    const mbox = account.mailboxId;
    const folders = this.truth.mailboxes[mbox]?.folders ?? {};
    const year = `archive-${2020 + Math.floor(this.random() * 7)}`;
    const found = Object.entries(folders).find(
      ([, f]) => f.parentId === FOLDER_ID.briefcase && f.name === year,
    );
    const yearId = found ? Number(found[0]) : this.allocId(mbox);
    const name = `filed-${itemId}-${this.changeId}.txt`;
    const data: OpData = {
      op: 'RenameItemPath',
      itemId,
      path: `/Briefcase/${year}/${name}`,
      parents: [
        { id: FOLDER_ID.briefcase, uuid: uuidFrom(this.random) },
        { id: yearId, uuid: uuidFrom(this.random) },
      ],
      itemType: ITEM_TYPE.document,
    };
    this.single(OP_CODE.RenameItemPath, mbox, data, (s) => {
      const m = s.mailboxes[mbox];
      const d = m?.documents[itemId];
      const last = d?.revisions.at(-1);
      if (!m || !d || !last) return;
      m.folders[yearId] ??= { name: year, parentId: FOLDER_ID.briefcase };
      d.folderId = yearId;
      d.name = name;
      d.revisions = [...d.revisions.slice(0, -1), { ...last, name }];
    });
    this.count('move-document-path');
  }

  private deleteDocument(): void {
    const pick = this.pickDocument();
    if (!pick) return;
    const [account, itemId, doc] = pick;
    const mbox = account.mailboxId;
    this.single(
      OP.DeleteItem,
      mbox,
      { op: 'DeleteItem', ids: [itemId], itemType: ITEM_TYPE.document, constraint: null },
      (s) => {
        const m = s.mailboxes[mbox];
        if (!m) return;
        delete m.documents[itemId];
        // Its comments go with it.
        for (const [id, note] of Object.entries(m.notes ?? {}))
          if (note.parentId === itemId) delete m.notes?.[id];
        if (m.notes && Object.keys(m.notes).length === 0) delete m.notes;
      },
    );
    for (const r of doc.revisions) this.removeRevisionBlob(mbox, itemId, r.version);
    this.count('delete-document');
  }

  private pickDocument(): [Account, number, DocumentState] | undefined {
    const account = this.liveMailbox();
    const state = account && this.truth.mailboxes[account.mailboxId];
    if (!account || !state) return undefined;
    const ids = Object.keys(state.documents).map(Number);
    if (ids.length === 0) return undefined;
    const id = ids[Math.floor(this.random() * ids.length)] as number;
    return [account, id, state.documents[id] as DocumentState];
  }

  /** A revision's bytes: text, large now and then (stored gzipped in the record and on the volume). */
  private documentContent(docId: number, version: number): Buffer {
    const big = this.random() < 0.1;
    const line = `document ${docId} revision ${version}: ${WORDS.join(' ')}\n`;
    return Buffer.from(line.repeat(big ? 2000 : 1 + Math.floor(this.random() * 20)));
  }

  private documentData(
    account: Account,
    docId: number,
    folderId: number,
    filename: string,
    content: Buffer,
    description: string,
  ): Omit<OpDataOf<'SaveDocument'>, 'op'> {
    return {
      filename,
      mimeType: 'text/plain',
      author: account.name,
      itemType: ITEM_TYPE.document,
      description,
      descriptionEnabled: true,
      uuid: stableUuid(this.serverId, `document:${account.mailboxId}:${docId}`),
      ...this.messageFields(account.mailboxId, docId, folderId, content, true, wholeSeconds(this.now)),
      rcptEmail: '',
      flags: 0,
      path: null,
    };
  }

  private revisionOf(
    version: number,
    name: string,
    author: string,
    date: number,
    content: Buffer,
  ): DocumentState['revisions'][number] {
    return {
      version,
      name,
      contentType: 'text/plain',
      author,
      date,
      size: content.length,
      digest: zimbraDigest(content),
      sha256: sha256Hex(content),
    };
  }

  /** A revision's blob file (its own mod_content in the name); the current one is also the item's blob. */
  private writeRevisionBlob(mailboxId: number, docId: number, version: number, content: Buffer): void {
    const path = join(this.volumePath, blobStorePath(mailboxId, docId, this.changeId + 1));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content.length > BLOB_COMPRESS_THRESHOLD ? gzipSync(content, { level: 1 }) : content);
    this.blobFiles.set(`${mailboxId}:${docId}@${version}`, path);
    this.blobFiles.set(`${mailboxId}:${docId}`, path);
  }

  private removeRevisionBlob(mailboxId: number, docId: number, version: number): void {
    const key = `${mailboxId}:${docId}@${version}`;
    const path = this.blobFiles.get(key);
    if (!path) return;
    this.blobFiles.delete(key);
    if (this.blobFiles.get(`${mailboxId}:${docId}`) === path) this.blobFiles.delete(`${mailboxId}:${docId}`);
    rmSync(path, { force: true });
  }

  /** The blob file of one revision of a document, and its mod_content. */
  revisionBlobOf(
    mailboxId: number,
    docId: number,
    version: number,
  ): { path: string; modContent: number } | undefined {
    const path = this.blobFiles.get(`${mailboxId}:${docId}@${version}`);
    const revision = path && /-(\d+)\.msg$/.exec(path)?.[1];
    return path && revision ? { path, modContent: Number(revision) } : undefined;
  }

  private pickCalendarItem(): [number, number, InviteSpec] | undefined {
    const account = this.liveMailbox();
    const state = account && this.truth.mailboxes[account.mailboxId];
    if (!account || !state) return undefined;
    const ids = Object.keys(state.calendar).map(Number);
    if (ids.length === 0) return undefined;
    const id = ids[Math.floor(this.random() * ids.length)] as number;
    const spec = this.series.get(`${account.mailboxId}:${id}`);
    return spec ? [account.mailboxId, id, spec] : undefined;
  }

  private setCalendarItemData(
    calItemId: number,
    folderId: number,
    invites: string[],
    message: { receivedDate: number; mime: { offset: number; length: number; bytes: Buffer } } | null,
  ): OpData {
    const [first, ...rest] = invites;
    return {
      op: 'SetCalendarItem',
      folderId,
      calItemId,
      partStat: 'AC',
      attachmentIndexing: false,
      flags: 0,
      tags: [],
      defaultInvite: { timezone: ACCOUNT_TIME_ZONE, invite: first as string, message },
      exceptions: rest.map((invite) => ({ timezone: ACCOUNT_TIME_ZONE, invite, message: null })),
      replies: null,
      nextAlarm: 0,
    };
  }

  private calendarMutation(mbox: number, calItemId: number, spec: InviteSpec, invites: string[]): Mutation {
    this.series.set(`${mbox}:${calItemId}`, spec);
    const folderId = spec.type === 'task' ? FOLDER_ID.tasks : FOLDER_ID.calendar;
    return (s) => {
      const m = s.mailboxes[mbox];
      if (m)
        m.calendar[calItemId] = {
          type: spec.type,
          folderId,
          flags: 0,
          tags: [],
          uid: spec.uid,
          invites: [...invites],
        };
    };
  }

  private addressOf(mbox: number): string {
    return this.accounts.find((a) => a.mailboxId === mbox)?.name ?? 'me@example.com';
  }

  /** A tag renamed: every item tagged with it carries the new name. */
  private renameTag(): void {
    const mbox = this.liveMailbox();
    const state = mbox && this.truth.mailboxes[mbox.mailboxId];
    const names = Object.keys(state?.tags ?? {});
    if (!mbox || !state || names.length === 0) return;
    const old = names[Math.floor(this.random() * names.length)] as string;
    const tagId = state.tags[old] as number;
    const name = `${WORDS[Math.floor(this.random() * WORDS.length)]}-${this.changeId}`;
    const id = mbox.mailboxId;
    this.single(OP_CODE.RenameTag, id, { op: 'RenameTag', tagId, name }, (s) => {
      const m = s.mailboxes[id];
      if (!m || m.tags[old] !== tagId) return;
      delete m.tags[old];
      m.tags[name] = tagId;
      for (const message of Object.values(m.messages))
        if (message.tags.includes(old)) message.tags = message.tags.map((t) => (t === old ? name : t)).sort();
    });
    this.count('rename-tag');
  }

  private alterFlag(flagName: '\\Flagged' | '\\Unread'): void {
    const pick = this.pickMessage();
    if (!pick) return;
    const [mbox, id, state] = pick;
    const bit = FLAG_NAMES[flagName] as number;
    const tagged = !((state.messages[id]?.flags ?? 0) & bit);
    const data: OpData = {
      op: 'AlterItemTag',
      ids: [id],
      itemType: ITEM_TYPE.message,
      tagName: flagName,
      tagged,
      constraint: null,
    };
    this.single(OP.AlterItemTag, mbox, data, (s) => {
      const m = s.mailboxes[mbox]?.messages[id];
      if (m) m.flags = tagged ? m.flags | bit : m.flags & ~bit;
    });
    this.count(flagName === '\\Flagged' ? 'flag' : 'read');
  }

  private tag(): void {
    const pick = this.pickMessage();
    if (!pick) return;
    const [mbox, id, state] = pick;
    const name = WORDS[Math.floor(this.random() * 4)] as string;
    if (state.tags[name] === undefined) {
      const tagId = 64 + Object.keys(state.tags).length;
      this.single(OP.CreateTag, mbox, { op: 'CreateTag', tagId, name, color: 0 }, (s) => {
        const m = s.mailboxes[mbox];
        if (m) m.tags[name] = tagId;
      });
    }
    const msg = state.messages[id];
    if (!msg) return;
    if (this.random() < 0.5) {
      const tagged = !msg.tags.includes(name);
      const data: OpData = {
        op: 'AlterItemTag',
        ids: [id],
        itemType: ITEM_TYPE.message,
        tagName: name,
        tagged,
        constraint: null,
      };
      this.single(OP.AlterItemTag, mbox, data, (s) => {
        const m = s.mailboxes[mbox]?.messages[id];
        if (!m) return;
        const tags = new Set(m.tags);
        if (tagged) tags.add(name);
        else tags.delete(name);
        m.tags = [...tags].sort();
      });
    } else {
      const tags = [name];
      const flags = msg.flags ^ FLAG.flagged;
      const data: OpData = {
        op: 'SetItemTags',
        ids: [id],
        itemType: ITEM_TYPE.message,
        flags,
        tags,
        constraint: null,
      };
      this.single(OP.SetItemTags, mbox, data, (s) => {
        const m = s.mailboxes[mbox]?.messages[id];
        if (m) {
          m.flags = flags;
          m.tags = [...tags];
        }
      });
    }
    this.count('tag');
  }

  private emptyTrash(): void {
    const mbox = this.liveMailbox();
    if (!mbox) return;
    const id = mbox.mailboxId;
    const doomed = Object.entries(this.truth.mailboxes[id]?.messages ?? {}).filter(
      ([, m]) => m.folderId === FOLDER_ID.trash,
    );
    this.single(
      OP.EmptyFolder,
      id,
      { op: 'EmptyFolder', folderId: FOLDER_ID.trash, subfolders: true },
      (s) => {
        const m = s.mailboxes[id];
        if (!m) return;
        for (const [itemId, item] of Object.entries(m.messages))
          if (item.folderId === FOLDER_ID.trash) delete m.messages[itemId];
        for (const [itemId, item] of Object.entries(m.contacts))
          if (item.folderId === FOLDER_ID.trash) delete m.contacts[itemId];
      },
    );
    for (const [itemId] of doomed) this.removeBlob(id, Number(itemId));
    this.count('empty-trash');
  }

  private hardDelete(): void {
    const pick = this.pickMessage();
    if (!pick) return;
    const [mbox, id] = pick;
    this.single(
      OP.DeleteItem,
      mbox,
      { op: 'DeleteItem', ids: [id], itemType: ITEM_TYPE.message, constraint: null },
      (s) => {
        delete s.mailboxes[mbox]?.messages[id];
      },
    );
    this.removeBlob(mbox, id);
    this.count('delete');
  }

  private createFolder(): void {
    const mbox = this.liveMailbox();
    if (!mbox) return;
    const id = mbox.mailboxId;
    const folderId = this.allocId(id);
    const mailbox = this.truth.mailboxes[id];
    const userFolders = (mailbox ? plainFolderIds(mailbox) : []).filter((f) => f >= 256);
    const parentId = this.random() < 0.3 && userFolders.length > 0 ? (userFolders[0] as number) : 1;
    const name = `${WORDS[Math.floor(this.random() * WORDS.length)]}-${folderId}`;
    const data: OpData = {
      op: 'CreateFolder',
      name,
      parentId,
      attrs: 0,
      view: ITEM_TYPE.message,
      flags: 0,
      color: 0,
      url: null,
      folderId,
      uuid: uuidFrom(this.random),
      date: this.now,
      custom: null,
    };
    // Folder creations may interleave with later transactions: nothing refers to them until committed.
    this.single(
      OP.CreateFolder,
      id,
      data,
      (s) => {
        const m = s.mailboxes[id];
        if (m) m.folders[folderId] = { name, parentId, view: VIEW.message };
      },
      this.random() < 0.3,
    );
    this.count('create-folder');
  }

  /** A user folder (or a system one with a view) takes a color (ColorItem; an index 1–9). */
  private colorFolder(): void {
    const pick = this.pickFolder((id, f) => id >= 256 || f.view !== undefined);
    if (!pick) return;
    const [mbox, folderId] = pick;
    const color = 1 + Math.floor(this.random() * 9);
    this.single(
      OP_CODE.ColorItem,
      mbox,
      { op: 'ColorItem', ids: [folderId], itemType: ITEM_TYPE.folder, color },
      (s) => {
        const f = s.mailboxes[mbox]?.folders[folderId];
        if (f) f.color = color;
      },
    );
    this.count('color-folder');
  }

  /** A folder is shared with a user (GrantAccess): viewer, manager or admin rights. */
  private shareFolder(): void {
    const pick = this.pickFolder((id, f) => !f.search && !f.mount && id !== 1);
    if (!pick) return;
    const [mbox, folderId] = pick;
    const grantee = uuidFrom(this.random);
    const rights = [1, 1 | 2 | 4 | 8 | 16, 1 | 2 | 4 | 8 | 16 | 256][Math.floor(this.random() * 3)] as number;
    this.single(
      OP_CODE.GrantAccess,
      mbox,
      { op: 'GrantAccess', folderId, grantee, granteeType: 1, rights, password: null, expiry: 0 },
      (s) => {
        const f = s.mailboxes[mbox]?.folders[folderId];
        if (!f) return;
        f.grants = [...(f.grants ?? []), { grantee, type: 1, rights }].sort((a, b) =>
          (a.grantee ?? '').localeCompare(b.grantee ?? ''),
        );
      },
    );
    this.count('share-folder');
  }

  /** A share is taken back (RevokeAccess). */
  private unshareFolder(): void {
    const pick = this.pickFolder((_, f) => (f.grants?.length ?? 0) > 0);
    if (!pick) return;
    const [mbox, folderId, folder] = pick;
    const grantee = folder.grants?.[0]?.grantee ?? '';
    this.single(
      OP_CODE.RevokeAccess,
      mbox,
      { op: 'RevokeAccess', folderId, grantee, dueToExpiry: false },
      (s) => {
        const f = s.mailboxes[mbox]?.folders[folderId];
        if (!f) return;
        const grants = (f.grants ?? []).filter((g) => g.grantee !== grantee);
        if (grants.length > 0) f.grants = grants;
        else delete f.grants;
      },
    );
    this.count('unshare-folder');
  }

  /** A user folder subscribes to a feed (SetFolderUrl). */
  private subscribeFolder(): void {
    const pick = this.pickFolder((id, f) => id >= 256 && !f.search && !f.mount);
    if (!pick) return;
    const [mbox, folderId] = pick;
    const url = `https://feeds.example.net/${folderId}/${this.changeId}.rss`;
    this.single(OP_CODE.SetFolderUrl, mbox, { op: 'SetFolderUrl', folderId, url }, (s) => {
      const f = s.mailboxes[mbox]?.folders[folderId];
      if (f) f.url = url;
    });
    this.count('subscribe-folder');
  }

  /**
   * A folder's retention policy (SetRetentionPolicy): a user's keep or purge lifetime, or a system policy by id;
   * now and then cleared again (both lists empty).
   */
  private setRetention(): void {
    const pick = this.pickFolder((id, f) => id !== 1 && !f.mount);
    if (!pick) return;
    const [mbox, folderId, current] = pick;
    const lifetime = `${1 + Math.floor(this.random() * 365)}d`;
    const choice = Math.floor(this.random() * 4);
    const system = { id: uuidFrom(this.random), lifetime: null };
    const keep = choice === 0 ? [{ id: null, lifetime }] : choice === 2 ? [system] : [];
    const purge = choice === 1 ? [{ id: null, lifetime }] : [];
    // Clearing is what a policy set before can see; a folder without one gets one.
    const cleared = choice === 3 && current.retention !== undefined;
    const data: OpData = {
      op: 'SetRetentionPolicy',
      itemType: ITEM_TYPE.folder,
      itemId: folderId,
      keep: cleared ? [] : keep.length + purge.length > 0 ? keep : [{ id: null, lifetime }],
      purge: cleared ? [] : purge,
    };
    this.single(OP_CODE.SetRetentionPolicy, mbox, data, (s) => {
      const f = s.mailboxes[mbox]?.folders[folderId];
      if (!f) return;
      if (data.keep.length + data.purge.length === 0) delete f.retention;
      else
        f.retention = {
          keep: data.keep.map((p) => (p.id ? { id: p.id } : { lifetime: p.lifetime ?? '' })),
          purge: data.purge.map((p) => (p.id ? { id: p.id } : { lifetime: p.lifetime ?? '' })),
        };
    });
    this.count('set-retention');
  }

  /** A folder hidden from (or shown again to) ActiveSync devices. */
  private hideFromActiveSync(): void {
    const pick = this.pickFolder((id, f) => id !== 1 && !f.search && !f.mount);
    if (!pick) return;
    const [mbox, folderId, current] = pick;
    const disabled = !current.activeSyncDisabled;
    this.single(
      OP_CODE.SetDisableActiveSync,
      mbox,
      { op: 'SetDisableActiveSync', folderId, disabled },
      (s) => {
        const f = s.mailboxes[mbox]?.folders[folderId];
        if (!f) return;
        if (disabled) f.activeSyncDisabled = true;
        else delete f.activeSyncDisabled;
      },
    );
    this.count('hide-from-activesync');
  }

  /** How many days of a folder the web client keeps offline. */
  private offlineSyncDays(): void {
    const pick = this.pickFolder((id, f) => id !== 1 && !f.search && !f.mount);
    if (!pick) return;
    const [mbox, folderId] = pick;
    const days = Math.floor(this.random() * 31);
    this.single(OP_CODE.SetWebOfflineSyncDays, mbox, { op: 'SetWebOfflineSyncDays', folderId, days }, (s) => {
      const f = s.mailboxes[mbox]?.folders[folderId];
      if (f) f.webOfflineSyncDays = days;
    });
    this.count('offline-sync-days');
  }

  /**
   * The mailbox's configuration (SetConfig, DeleteConfig): IMAP folder subscriptions, an application's
   * settings, a section of them all deleted by pattern, and now and then Yahoo auth tokens, which a backup
   * must not keep (they stay out of the truth, and only the database has them).
   */
  private configure(kind: 'imap' | 'app' | 'delete' | 'secret'): void {
    const mbox = this.liveMailbox();
    if (!mbox) return;
    const id = mbox.mailboxId;
    const m = this.truth.mailboxes[id];
    if (!m) return;
    if (kind === 'delete') {
      const sections = Object.keys(m.config ?? {}).filter((s) => s.startsWith('ZWC:'));
      if (sections.length === 0) return;
      this.single(OP_CODE.DeleteConfig, id, { op: 'DeleteConfig', section: 'zwc:%' }, (s) => {
        const config = s.mailboxes[id]?.config;
        if (!config) return;
        for (const section of Object.keys(config)) if (section.startsWith('ZWC:')) delete config[section];
        if (Object.keys(config).length === 0) delete s.mailboxes[id]?.config;
      });
      this.count('delete-config');
      return;
    }
    const folders = Object.values(m.folders).map((f) => f.name);
    const [section, metadata] =
      kind === 'imap'
        ? ['imap', encodeMetadata({ subs: folders.filter(() => this.random() < 0.5).sort() })]
        : kind === 'app'
          ? [
              `zwc:${WORDS[Math.floor(this.random() * WORDS.length)]}`,
              encodeMetadata({ v: Math.floor(this.random() * 1000), at: this.now }),
            ]
          : ['YAUTH', encodeMetadata({ token: uuidFrom(this.random) })];
    this.single(OP_CODE.SetConfig, id, { op: 'SetConfig', section, config: metadata }, (s) => {
      const target = s.mailboxes[id];
      if (!target || section === 'YAUTH') return;
      target.config = { ...target.config, [section.toUpperCase()]: metadata };
    });
    if (section === 'YAUTH') this.secretConfig.set(id, metadata);
    this.count(kind === 'imap' ? 'imap-subscriptions' : kind === 'app' ? 'app-config' : 'yahoo-auth');
  }

  /**
   * A zimlet or client keeps its own metadata on a message or a folder (SetCustomData): a section set, or now
   * and then emptied (which removes it).
   */
  private customData(): void {
    const mbox = this.liveMailbox();
    if (!mbox) return;
    const id = mbox.mailboxId;
    const m = this.truth.mailboxes[id];
    if (!m) return;
    const onFolder = this.random() < 0.3;
    const pool = onFolder
      ? Object.entries(m.folders).filter(([fid, f]) => Number(fid) !== 1 && !f.search && !f.mount)
      : Object.entries(m.messages);
    if (pool.length === 0) return;
    const [itemKey, item] = pool[Math.floor(this.random() * pool.length)] as [
      string,
      { custom?: Record<string, string> },
    ];
    const itemId = Number(itemKey);
    const section = ['com_zimbra_followup', 'com_acme_crm'][Math.floor(this.random() * 2)] as string;
    const clear = item.custom?.[section] !== undefined && this.random() < 0.3;
    const value = clear ? encodeMetadata({}) : encodeMetadata({ due: this.now, note: `n${this.changeId}` });
    const data: OpData = {
      op: 'SetCustomData',
      itemId,
      itemType: onFolder ? ITEM_TYPE.folder : ITEM_TYPE.message,
      custom: { key: section, value },
    };
    this.single(OP_CODE.SetCustomData, id, data, (s) => {
      const target = onFolder ? s.mailboxes[id]?.folders[itemId] : s.mailboxes[id]?.messages[itemId];
      if (!target) return;
      const custom = { ...target.custom };
      if (clear) delete custom[section];
      else custom[section] = value;
      if (Object.keys(custom).length > 0) target.custom = custom;
      else delete target.custom;
    });
    this.count('custom-data');
  }

  /** The YAUTH section of each mailbox: in the server's database, never in a backup. */
  readonly secretConfig = new Map<number, string>();

  /** A saved search under the user root (CreateSavedSearch). */
  private createSearch(): void {
    const mbox = this.liveMailbox();
    if (!mbox) return;
    const id = mbox.mailboxId;
    const searchId = this.allocId(id);
    const word = WORDS[Math.floor(this.random() * WORDS.length)] as string;
    const search = { query: `subject:${word} is:unread`, types: 'message', sort: 'dateDesc' };
    const name = `search-${word}-${searchId}`;
    this.single(
      OP_CODE.CreateSavedSearch,
      id,
      {
        op: 'CreateSavedSearch',
        searchId,
        uuid: uuidFrom(this.random),
        name,
        ...search,
        folderId: FOLDER_ID.root,
        flags: 0,
        color: 0,
      },
      (s) => {
        const m = s.mailboxes[id];
        if (m) m.folders[searchId] = { name, parentId: FOLDER_ID.root, search };
      },
    );
    this.count('create-search');
  }

  /** A saved search's query changes (ModifySavedSearch). */
  private modifySearch(): void {
    const pick = this.pickFolder((_, f) => f.search !== undefined);
    if (!pick) return;
    const [mbox, searchId] = pick;
    const search = {
      query: `in:inbox after:-${1 + (this.changeId % 30)}d`,
      types: 'message,conversation',
      sort: 'dateAsc',
    };
    this.single(OP_CODE.ModifySavedSearch, mbox, { op: 'ModifySavedSearch', searchId, ...search }, (s) => {
      const f = s.mailboxes[mbox]?.folders[searchId];
      if (f) f.search = search;
    });
    this.count('modify-search');
  }

  /** Another account's calendar or inbox, mounted under the user root (CreateMountpoint). */
  private createMountpoint(): void {
    const mbox = this.liveMailbox();
    if (!mbox) return;
    const id = mbox.mailboxId;
    const mountpointId = this.allocId(id);
    const calendar = this.random() < 0.5;
    const ownerId = uuidFrom(this.random);
    const remoteId = calendar ? FOLDER_ID.calendar : FOLDER_ID.inbox;
    const reminder = calendar && this.random() < 0.5;
    const view = calendar ? VIEW.appointment : VIEW.message;
    const name = `shared-${mountpointId}`;
    this.single(
      OP_CODE.CreateMountpoint,
      id,
      {
        op: 'CreateMountpoint',
        mountpointId,
        uuid: uuidFrom(this.random),
        name,
        ownerId,
        remoteId,
        remoteUuid: null,
        folderId: FOLDER_ID.root,
        view,
        flags: 0,
        color: 0,
        reminderEnabled: reminder,
      },
      (s) => {
        const m = s.mailboxes[id];
        if (m)
          m.folders[mountpointId] = {
            name,
            parentId: FOLDER_ID.root,
            view,
            mount: { ownerId, remoteId, ...(reminder ? { reminder: true as const } : {}) },
          };
      },
    );
    this.count('create-mountpoint');
  }

  /** A link to a document another account shares (CreateLink), in the Briefcase: a mountpoint row. */
  private createLink(): void {
    const mbox = this.liveMailbox();
    if (!mbox) return;
    const id = mbox.mailboxId;
    const linkId = this.allocId(id);
    const ownerId = uuidFrom(this.random);
    const remoteId = 257 + Math.floor(this.random() * 100);
    const name = `link-${linkId}`;
    this.single(
      OP_CODE.CreateLink,
      id,
      {
        op: 'CreateLink',
        linkId,
        uuid: uuidFrom(this.random),
        name,
        ownerId,
        remoteId,
        folderId: FOLDER_ID.briefcase,
      },
      (s) => {
        const m = s.mailboxes[id];
        if (m) m.folders[linkId] = { name, parentId: FOLDER_ID.briefcase, mount: { ownerId, remoteId } };
      },
    );
    this.count('create-link');
  }

  /**
   * A sticky note (CreateNote) in the Inbox or a user folder: now and then with control characters the server
   * strips, or longer than the 1,024 characters it keeps.
   */
  private createNote(): void {
    const account = this.liveMailbox();
    const m = account && this.truth.mailboxes[account.mailboxId];
    if (!account || !m) return;
    const mbox = account.mailboxId;
    const noteId = this.allocId(mbox);
    const folders = Object.entries(m.folders).filter(
      ([id, f]) => Number(id) >= FIRST_USER_ID && !f.search && !f.mount,
    );
    const folderId =
      folders.length > 0 && this.random() < 0.4
        ? Number(folders[Math.floor(this.random() * folders.length)]?.[0])
        : FOLDER_ID.inbox;
    const content = this.noteContent(noteId);
    const color = this.random() < 0.3 ? 1 + Math.floor(this.random() * 9) : 0;
    const bounds = {
      x: Math.floor(this.random() * 800),
      y: Math.floor(this.random() * 600),
      width: 200,
      height: 120,
    };
    const data: OpData = { op: 'CreateNote', noteId, folderId, content, color, ...bounds };
    this.dated(OP_CODE.CreateNote, mbox, data, (s, date) => {
      const target = s.mailboxes[mbox];
      if (!target) return;
      target.notes = {
        ...target.notes,
        [noteId]: {
          type: 'note',
          folderId,
          flags: 0,
          tags: [],
          text: storedText(stripControlCharacters(content)),
          date,
          ...(color !== 0 ? { color } : {}),
          bounds: `${bounds.x},${bounds.y},${bounds.width},${bounds.height}`,
        },
      };
    });
    this.count('create-note');
  }

  private noteContent(noteId: number): string {
    const words = WORDS.slice(0, 1 + Math.floor(this.random() * WORDS.length)).join(' ');
    const roll = this.random();
    if (roll < 0.1) return `note ${noteId}\u0007 with a bell\u0000 and ${words}`;
    if (roll < 0.2) return `note ${noteId}: ${words} `.repeat(80);
    return `note ${noteId}: ${words}`;
  }

  /** A note's text changed (EditNote); the same text now and then, which changes nothing, not even the date. */
  private editNote(): void {
    const pick = this.pickNote('note');
    if (!pick) return;
    const [mbox, noteId, note] = pick;
    const content = this.random() < 0.2 ? note.text : this.noteContent(noteId);
    this.dated(OP_CODE.EditNote, mbox, { op: 'EditNote', noteId, content }, (s, date) => {
      const target = s.mailboxes[mbox]?.notes?.[noteId];
      const text = storedText(stripControlCharacters(content));
      if (target && target.text !== text) {
        target.text = text;
        target.date = date;
      }
    });
    this.count('edit-note');
  }

  private repositionNote(): void {
    const pick = this.pickNote('note');
    if (!pick) return;
    const [mbox, noteId] = pick;
    const bounds = {
      x: Math.floor(this.random() * 800),
      y: Math.floor(this.random() * 600),
      width: 240,
      height: 90,
    };
    this.single(OP_CODE.RepositionNote, mbox, { op: 'RepositionNote', noteId, ...bounds }, (s) => {
      const target = s.mailboxes[mbox]?.notes?.[noteId];
      if (target) target.bounds = `${bounds.x},${bounds.y},${bounds.width},${bounds.height}`;
    });
    this.count('reposition-note');
  }

  private colorNote(): void {
    const pick = this.pickNote('note');
    if (!pick) return;
    const [mbox, noteId] = pick;
    const color = Math.floor(this.random() * 10);
    this.single(
      OP_CODE.ColorItem,
      mbox,
      { op: 'ColorItem', ids: [noteId], itemType: ITEM_TYPE.note, color },
      (s) => {
        const target = s.mailboxes[mbox]?.notes?.[noteId];
        if (!target) return;
        if (color === 0) delete target.color;
        else target.color = color;
      },
    );
    this.count('color-note');
  }

  private deleteNote(): void {
    const pick = this.pickNote('note');
    if (!pick) return;
    const [mbox, noteId] = pick;
    this.single(
      OP.DeleteItem,
      mbox,
      { op: 'DeleteItem', ids: [noteId], itemType: ITEM_TYPE.note, constraint: null },
      (s) => {
        const notes = s.mailboxes[mbox]?.notes;
        if (notes) delete notes[noteId];
        if (notes && Object.keys(notes).length === 0) delete s.mailboxes[mbox]?.notes;
      },
    );
    this.count('delete-note');
  }

  /** A comment on a Briefcase document (CreateComment), by the owner or by someone it is shared with. */
  private commentOnDocument(): void {
    const pick = this.pickDocument();
    if (!pick) return;
    const [account, parentId] = pick;
    const mbox = account.mailboxId;
    const commentId = this.allocId(mbox);
    const others = this.accounts.filter((a) => a.zimbraId !== account.zimbraId);
    const creatorId =
      others.length > 0 && this.random() < 0.5
        ? (others[Math.floor(this.random() * others.length)] as Account).zimbraId
        : account.zimbraId;
    const text = `comment ${commentId} on ${parentId}: ${WORDS[Math.floor(this.random() * WORDS.length)]}`;
    const data: OpData = {
      op: 'CreateComment',
      commentId,
      uuid: uuidFrom(this.random),
      parentId,
      creatorId,
      text,
    };
    this.dated(OP_CODE.CreateComment, mbox, data, (s, date) => {
      const target = s.mailboxes[mbox];
      if (!target) return;
      target.notes = {
        ...target.notes,
        [commentId]: {
          type: 'comment',
          folderId: FOLDER_ID.comments,
          flags: 0,
          tags: [],
          text,
          date,
          parentId,
          creatorId,
        },
      };
    });
    this.count('comment-document');
  }

  private pickNote(type: NoteState['type']): [number, number, NoteState] | undefined {
    const account = this.liveMailbox();
    const notes = account && this.truth.mailboxes[account.mailboxId]?.notes;
    if (!account || !notes) return undefined;
    const ids = Object.entries(notes)
      .filter(([, n]) => n.type === type)
      .map(([id]) => Number(id));
    if (ids.length === 0) return undefined;
    const id = ids[Math.floor(this.random() * ids.length)] as number;
    return [account.mailboxId, id, notes[id] as NoteState];
  }

  /** One op committed in a transaction of its own, its mutation given the op's time as the item's date. */
  private dated(
    opCode: number,
    mailboxId: number,
    data: OpData,
    mutate: (state: MailSnapshot, date: number) => void,
  ): void {
    const txnId = this.newTxn();
    const at = this.tick();
    this.redo.append(this.header(opCode, mailboxId, txnId, at), data);
    this.commit(txnId, opCode, mailboxId, (s) => mutate(s, wholeSeconds(at)));
  }

  /** A folder of a live mailbox that `fits`, with its mailbox id, or undefined. */
  private pickFolder(
    fits: (id: number, f: FolderState) => boolean,
  ): [number, number, FolderState] | undefined {
    const mbox = this.liveMailbox();
    if (!mbox) return undefined;
    const folders = Object.entries(this.truth.mailboxes[mbox.mailboxId]?.folders ?? {}).filter(([id, f]) =>
      fits(Number(id), f),
    );
    if (folders.length === 0) return undefined;
    const [id, folder] = folders[Math.floor(this.random() * folders.length)] as [string, FolderState];
    return [mbox.mailboxId, Number(id), folder];
  }

  private renameFolder(): void {
    const mbox = this.liveMailbox();
    if (!mbox) return;
    const id = mbox.mailboxId;
    const folders = this.truth.mailboxes[id]?.folders ?? {};
    const user = Object.keys(folders)
      .map(Number)
      .filter((f) => f >= 256);
    if (user.length === 0) return;
    const folderId = user[Math.floor(this.random() * user.length)] as number;
    const parentId = folders[folderId]?.parentId ?? 1;
    const name = `renamed-${folderId}-${this.changeId}`;
    this.single(OP.RenameFolder, id, { op: 'RenameFolder', folderId, parentId, name }, (s) => {
      const f = s.mailboxes[id]?.folders[folderId];
      if (f) f.name = name;
    });
    this.count('rename-folder');
  }

  /** An instant-messaging log saved in Chats: a new one (CreateChat) or, `again`, one saved again (SaveChat). */
  private chat(again: boolean): void {
    const mbox = this.liveMailbox();
    if (!mbox) return;
    const id = mbox.mailboxId;
    const chats = Object.entries(this.truth.mailboxes[id]?.messages ?? {}).filter(
      ([, m]) => m.folderId === FOLDER_ID.chats,
    );
    const existing = again
      ? Number((chats[0] as [string, unknown] | undefined)?.[0] ?? 0) || undefined
      : undefined;
    if (again && existing === undefined) return;
    const msgId = existing ?? this.allocId(id);
    const content = this.messageContent(id);
    if (existing !== undefined) this.removeBlob(id, existing);
    const data = this.messageData(id, msgId, FOLDER_ID.chats, content, true);
    const mutate = this.messageMutation(id, data, content);
    if (existing !== undefined)
      this.single(OP_CODE.SaveChat, id, { op: 'SaveChat', imapId: msgId, ...data }, mutate);
    else this.single(OP_CODE.CreateChat, id, { op: 'CreateChat', ...data }, mutate);
    this.count(again ? 'save-chat' : 'chat');
  }

  private draft(): void {
    const mbox = this.liveMailbox();
    if (!mbox) return;
    const id = mbox.mailboxId;
    const drafts = Object.entries(this.truth.mailboxes[id]?.messages ?? {}).filter(
      ([, m]) => m.folderId === FOLDER_ID.drafts,
    );
    // Half the time a draft is saved again (same id, new content), otherwise a new one.
    const existing =
      drafts.length > 0 && this.random() < 0.5 ? Number((drafts[0] as [string, unknown])[0]) : undefined;
    const msgId = existing ?? this.allocId(id);
    const content = this.messageContent(id);
    // A re-saved draft gets a new blob (new revision in its name); the old one goes.
    if (existing !== undefined) this.removeBlob(id, existing);
    const data = this.messageData(id, msgId, FOLDER_ID.drafts, content, true);
    data.flags = FLAG.draft;
    const mutate = this.messageMutation(id, data, content);
    this.single(OP.SaveDraft, id, { op: 'SaveDraft', imapId: msgId, ...data }, mutate);
    this.count('draft');
  }

  private createContact(): void {
    const mbox = this.liveMailbox();
    if (!mbox) return;
    const id = mbox.mailboxId;
    const contactId = this.allocId(id);
    const first = WORDS[Math.floor(this.random() * WORDS.length)] as string;
    const fields: [string, string][] = [
      ['firstName', first],
      ['email', `${first}.${contactId}@example.net`],
    ];
    const vcard = Buffer.from(
      `BEGIN:VCARD\r\nFN:${first}\r\nEMAIL:${first}.${contactId}@example.net\r\nEND:VCARD\r\n`,
    );
    this.writeBlob(id, contactId, vcard);
    const data: OpData = {
      op: 'CreateContact',
      contactId,
      folderId: FOLDER_ID.contacts,
      tags: null,
      fields,
      body: { offset: 0, length: vcard.length, bytes: vcard },
    };
    this.single(
      OP.CreateContact,
      id,
      data,
      (s) => {
        const m = s.mailboxes[id];
        if (m)
          m.contacts[contactId] = {
            folderId: FOLDER_ID.contacts,
            fields: Object.fromEntries(fields),
            sha256: sha256Hex(vcard),
          };
      },
      this.random() < 0.3,
    );
    this.count('create-contact');
  }

  private modifyContact(): void {
    const mbox = this.liveMailbox();
    if (!mbox) return;
    const id = mbox.mailboxId;
    const contacts = Object.keys(this.truth.mailboxes[id]?.contacts ?? {}).map(Number);
    if (contacts.length === 0) return;
    const contactId = contacts[Math.floor(this.random() * contacts.length)] as number;
    const fields: [string, string][] = [
      ['company', `Company ${this.changeId}`],
      ['email', `changed.${contactId}@example.net`],
    ];
    const vcard = Buffer.from(`BEGIN:VCARD\r\nORG:Company ${this.changeId}\r\nEND:VCARD\r\n`);
    // A changed contact gets a new blob revision, as a re-saved draft does.
    this.removeBlob(id, contactId);
    this.writeBlob(id, contactId, vcard);
    const data: OpData = {
      op: 'ModifyContact',
      contactId,
      fields,
      volumeId: -1,
      body: { offset: 0, length: vcard.length, bytes: vcard },
    };
    this.single(OP.ModifyContact, id, data, (s) => {
      const c = s.mailboxes[id]?.contacts[contactId];
      if (c) {
        c.fields = Object.fromEntries(fields);
        c.sha256 = sha256Hex(vcard);
      }
    });
    this.count('modify-contact');
  }

  /** A move the server starts and then aborts: in the log, never in the state. */
  private abortedMove(): void {
    const pick = this.pickMessage();
    if (!pick) return;
    const [mbox, id] = pick;
    const txnId = this.newTxn();
    const data: OpData = {
      op: 'MoveItem',
      ids: [id],
      itemType: ITEM_TYPE.message,
      destFolderId: FOLDER_ID.junk,
      constraint: null,
      uidNext: -1,
    };
    this.redo.append(this.header(OP.MoveItem, mbox, txnId), data);
    this.redo.append(controlHeader(OP.AbortTxn, this.tick(), txnId, mbox), {
      op: 'AbortTxn',
      txnOpCode: OP.MoveItem,
    });
    this.count('aborted');
  }

  private purgeImapDeleted(): void {
    const pick = this.pickMessage();
    if (!pick) return;
    const [mbox, id] = pick;
    const bit = FLAG_NAMES['\\Deleted'] as number;
    const data: OpData = {
      op: 'AlterItemTag',
      ids: [id],
      itemType: ITEM_TYPE.message,
      tagName: '\\Deleted',
      tagged: true,
      constraint: null,
    };
    this.single(OP.AlterItemTag, mbox, data, (s) => {
      const m = s.mailboxes[mbox]?.messages[id];
      if (m) m.flags |= bit;
    });
    const doomed = Object.entries(this.truth.mailboxes[mbox]?.messages ?? {}).filter(
      ([, m]) => m.flags & bit,
    );
    this.single(OP.PurgeImapDeleted, mbox, { op: 'PurgeImapDeleted' }, (s) => {
      const m = s.mailboxes[mbox];
      if (m)
        for (const [itemId, item] of Object.entries(m.messages))
          if (item.flags & bit) delete m.messages[itemId];
    });
    for (const [itemId] of doomed) this.removeBlob(mbox, Number(itemId));
    this.count('purge-imap');
  }

  /**
   * The server's retention purge with the default lifetimes (Trash 30 days by change date, nothing else):
   * its redo record says only that a purge ran (PurgeOldMessages carries no ids).
   */
  private purgeOld(): void {
    const mbox = this.liveMailbox();
    if (!mbox) return;
    const id = mbox.mailboxId;
    const cutoff = this.now - TRASH_LIFETIME_MS;
    const doomed = Object.entries(this.truth.mailboxes[id]?.messages ?? {})
      .filter(
        ([itemId, item]) =>
          item.folderId === FOLDER_ID.trash &&
          (this.trashChanged.get(`${id}:${itemId}`) ?? this.now) < cutoff,
      )
      .map(([itemId]) => itemId);
    this.single(OP.PurgeOldMessages, id, { op: 'PurgeOldMessages' }, (s) => {
      const m = s.mailboxes[id];
      if (m) for (const itemId of doomed) delete m.messages[itemId];
    });
    for (const itemId of doomed) this.removeBlob(id, Number(itemId));
    this.purged.push({ time: this.now, mailboxId: id, ids: doomed.map(Number) });
    this.count('purge-old');
  }

  private renameAccount(): void {
    const account = this.liveMailbox();
    if (!account) return;
    const oldName = account.name;
    const newName = `${oldName.split('@')[0]}.r${this.changeId}@${DOMAINS[Math.floor(this.random() * DOMAINS.length)]}`;
    const mbox = account.mailboxId;
    this.single(OP.RenameMailbox, mbox, { op: 'RenameMailbox', newName, oldName }, (s) => {
      const m = s.mailboxes[mbox];
      if (m) m.renamedTo = newName;
    });
    account.name = newName;
    this.writeLdif();
    this.count('rename-account');
  }

  createAccount(): void {
    const zimbraId = uuidFrom(this.random);
    const name = `user${this.accounts.length + 1}@${DOMAINS[this.accounts.length % DOMAINS.length]}`;
    const mailboxId = this.nextMailboxId++;
    // Every third account has an alias, kept across renames as Zimbra keeps it.
    const aliases =
      this.accounts.length % 3 === 0
        ? [{ name: name.replace('@', '.alias@'), zimbraId: stableUuid(this.serverId, `alias:${name}`) }]
        : [];
    this.accounts.push({
      zimbraId,
      name,
      deleted: false,
      mailboxId,
      createdAt: this.now,
      cosId: this.cos.zimbraId,
      aliases,
    });
    this.nextItemId.set(mailboxId, 257);
    this.writeLdif();
    this.single(OP.CreateMailbox, mailboxId, { op: 'CreateMailbox', accountId: zimbraId }, (s) => {
      s.mailboxes[mailboxId] = {
        accountId: zimbraId,
        renamedTo: null,
        folders: systemFolders(),
        tags: {},
        messages: {},
        contacts: {},
        calendar: {},
        documents: {},
      };
    });
    this.count('create-account');
  }

  private deleteMailbox(): void {
    const live = this.accounts.filter((a) => !a.deleted);
    if (live.length <= 2) return;
    const account = live[Math.floor(this.random() * live.length)] as Account;
    const mbox = account.mailboxId;
    this.single(OP.DeleteMailbox, mbox, { op: 'DeleteMailbox' }, (s) => {
      delete s.mailboxes[mbox];
    });
    account.deleted = true;
    rmSync(join(this.volumePath, `${(mbox >> 12) & 255}`, String(mbox)), {
      recursive: true,
      force: true,
    });
    this.writeLdif();
    this.count('delete-mailbox');
  }

  // ---- plumbing ------------------------------------------------------------------------------------

  /** One op in its own transaction, committed now (or later when `defer`). */
  private single(
    opCode: number,
    mailboxId: number,
    data: OpData,
    mutate: Mutation,
    defer = false,
    also?: { opCode: number; data: OpData },
  ): void {
    const txnId = this.newTxn();
    this.redo.append(this.header(opCode, mailboxId, txnId), data);
    // A second op of the same transaction, at the same instant (it draws nothing from the random stream).
    if (also) this.redo.append(this.header(also.opCode, mailboxId, txnId, this.now), also.data);
    if (defer) this.deferred.push({ txnId, opCode, mutate });
    else this.commit(txnId, opCode, mailboxId, mutate);
  }

  private commitDeferred(d: { txnId: TxnId; opCode: number; mutate: Mutation }): void {
    this.deferred.splice(this.deferred.indexOf(d), 1);
    this.commit(d.txnId, d.opCode, -1, d.mutate);
  }

  private commit(txnId: TxnId, opCode: number, mailboxId: number, mutate: Mutation): void {
    const time = this.tick();
    this.redo.append(controlHeader(OP.CommitTxn, time, txnId, mailboxId), {
      op: 'CommitTxn',
      txnOpCode: opCode,
    });
    const trashBefore = this.trashStamps();
    mutate(this.truth);
    this.commits.push({ time, mutate });
    for (const [key, stamp] of this.trashStamps())
      if (trashBefore.get(key) !== stamp || !this.trashChanged.has(key)) this.trashChanged.set(key, time);
  }

  /** Every message in Trash with what a change of it would alter. */
  private trashStamps(): Map<string, string> {
    const stamps = new Map<string, string>();
    for (const [mailboxId, m] of Object.entries(this.truth.mailboxes))
      for (const [id, message] of Object.entries(m.messages))
        if (message.folderId === FOLDER_ID.trash)
          stamps.set(`${mailboxId}:${id}`, JSON.stringify([message.flags, message.tags]));
    return stamps;
  }

  /** Time passes with nothing happening on the server (days, for retention). */
  idle(ms: number): void {
    this.now += ms;
  }

  private header(opCode: number, mailboxId: number, txnId: TxnId, timestamp = this.tick()): RecordHeader {
    return {
      version: LATEST_VERSION,
      opCode,
      timestamp,
      changeId: ++this.changeId,
      changeConstraint: 0,
      txnId,
      mailboxId,
    };
  }

  private newTxn(): TxnId {
    return { time: Math.floor(this.now / 1000), counter: ++this.txnCounter };
  }

  /** Strictly increasing time, so every commit has its own instant. */
  private tick(): number {
    this.now += 1 + Math.floor(this.random() * this.tickMaxMs);
    return this.now;
  }

  private allocId(mailboxId: number): number {
    const id = this.nextItemId.get(mailboxId) ?? 257;
    this.nextItemId.set(mailboxId, id + 1);
    return id;
  }

  private liveMailbox(): Account | undefined {
    const live = this.accounts.filter((a) => !a.deleted && this.truth.mailboxes[a.mailboxId]);
    return live[Math.floor(this.random() * live.length)];
  }

  private pickMessage(): [number, number, MailboxState] | undefined {
    const account = this.liveMailbox();
    const state = account && this.truth.mailboxes[account.mailboxId];
    if (!account || !state) return undefined;
    const ids = Object.keys(state.messages).map(Number);
    if (ids.length === 0) return undefined;
    return [account.mailboxId, ids[Math.floor(this.random() * ids.length)] as number, state];
  }

  private messageContent(mailboxId: number): Buffer {
    const n = this.changeId;
    const big = this.random() < 0.05;
    const length = big
      ? 60_000 + Math.floor(this.random() * 200_000)
      : 200 + Math.floor(this.random() * 6000);
    const words: string[] = [];
    let size = 0;
    while (size < length) {
      const w = WORDS[Math.floor(this.random() * WORDS.length)] as string;
      words.push(w);
      size += w.length + 1;
    }
    const text = words.join(' ').replace(/(.{1,76})( |$)/g, '$1\r\n');
    // Every third message has a Cc, every fourth an attachment (drawn from the change id, not the random
    // stream), named the RFC 2231 way now and then: what search by recipient and attachment name reads.
    const cc = n % 3 === 0 ? `Cc: =?utf-8?q?Andr=C3=A9?= <copy${n % 5}@example.org>\r\n` : '';
    const head =
      `From: sender${n % 17}@example.net\r\nTo: mailbox${mailboxId}@example.com\r\n${cc}Subject: ${WORDS[n % WORDS.length]} ${n}\r\n` +
      `Message-ID: <${n}.${mailboxId}@sim.example>\r\nDate: ${new Date(this.now).toUTCString()}\r\n`;
    if (n % 4 !== 0) return Buffer.from(`${head}\r\n${text}`);
    const boundary = `=_sim_${n}`;
    const name =
      n % 8 === 0
        ? `attachment; filename*=utf-8''r%C3%A9sum%C3%A9-${n}.txt`
        : `attachment; filename="report-${n}.pdf"`;
    return Buffer.from(
      `${head}MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n` +
        `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${text}\r\n` +
        `--${boundary}\r\nContent-Type: application/octet-stream\r\nContent-Disposition: ${name}\r\n` +
        `Content-Transfer-Encoding: base64\r\n\r\n${Buffer.from(`attachment of ${n}`).toString('base64')}\r\n` +
        `--${boundary}--\r\n`,
    );
  }

  private maybeGzip(content: Buffer): Buffer {
    return content.length > 4096 && this.random() < 0.5 ? gzipSync(content) : content;
  }

  private messageData(
    mailboxId: number,
    msgId: number,
    folderId: number,
    content: Buffer,
    inline: boolean,
    receivedDate = wholeSeconds(this.now),
  ): CreateMessageData {
    const data = this.messageFields(mailboxId, msgId, folderId, content, inline, receivedDate);
    this.writeBlob(mailboxId, msgId, content);
    return data;
  }

  /** The fields a message-shaped record carries (a message, a draft, a document revision…). */
  private messageFields(
    mailboxId: number,
    msgId: number,
    folderId: number,
    content: Buffer,
    inline: boolean,
    receivedDate: number,
  ): CreateMessageData {
    const stored = this.maybeGzip(content);
    return {
      rcptEmail: this.accounts.find((a) => a.mailboxId === mailboxId)?.name ?? '',
      receivedDate,
      shared: false,
      digest: zimbraDigest(content),
      size: content.length,
      msgId,
      folderId,
      convId: -1,
      convFirstMsgId: -1,
      mergedConvIds: [],
      calItemId: -1,
      partStat: null,
      flags: FLAG.unread,
      noICal: false,
      tags: null,
      path: `/opt/zimbra/data/mailboxd/incoming/${msgId}.msg`,
      custom: null,
      body: inline ? { type: 'inline', offset: 0, length: stored.length, bytes: stored } : { type: 'link' },
    };
  }

  private messageMutation(mailboxId: number, data: CreateMessageData, content: Buffer): Mutation {
    const message = {
      folderId: data.folderId,
      flags: data.flags,
      tags: [] as string[],
      digest: data.digest ?? '',
      size: data.size,
      sha256: sha256Hex(content),
      receivedDate: data.receivedDate,
    };
    return (s) => {
      const m = s.mailboxes[mailboxId];
      if (m) m.messages[data.msgId] = { ...message, tags: [...message.tags] };
    };
  }

  /** The real conversation a message is in now (the server's `parent_id`), if it is in one. */
  conversationOf(mailboxId: number, messageId: number): number | undefined {
    return this.convOf.get(`${mailboxId}:${messageId}`);
  }

  /** The blob file of an item (message or contact) and the revision (mod_content) in its name. */
  blobOf(mailboxId: number, itemId: number): { path: string; modContent: number } | undefined {
    const path = this.blobFiles.get(`${mailboxId}:${itemId}`);
    const revision = path && /-(\d+)\.msg$/.exec(path)?.[1];
    return path && revision ? { path, modContent: Number(revision) } : undefined;
  }

  /** The last change number the server used (Zimbra's change id: mod_metadata, change_checkpoint). */
  changeNumber(): number {
    return this.changeId;
  }

  /** Blobs in the blob-store layout; recipients of one delivery share the file (hard links). */
  private writeBlob(mailboxId: number, itemId: number, content: Buffer): void {
    const path = join(this.volumePath, blobStorePath(mailboxId, itemId, this.changeId + 1));
    mkdirSync(dirname(path), { recursive: true });
    const digest = zimbraDigest(content);
    const shared = this.blobFiles.get(`digest:${digest}`);
    // A volume with blob compression on keeps blobs above its threshold gzipped (readers check the magic).
    const onDisk = content.length > BLOB_COMPRESS_THRESHOLD ? gzipSync(content, { level: 1 }) : content;
    if (shared) {
      try {
        linkSync(shared, path);
      } catch {
        writeFileSync(path, onDisk);
      }
    } else {
      writeFileSync(path, onDisk);
      this.blobFiles.set(`digest:${digest}`, path);
    }
    this.blobFiles.set(`${mailboxId}:${itemId}`, path);
  }

  /** A copy's blob: the server links the source's file under the new item's name. */
  private linkBlob(mailboxId: number, sourceId: number, itemId: number): void {
    const source = this.blobFiles.get(`${mailboxId}:${sourceId}`);
    if (!source) return;
    const path = join(this.volumePath, blobStorePath(mailboxId, itemId, this.changeId + 1));
    mkdirSync(dirname(path), { recursive: true });
    linkSync(source, path);
    this.blobFiles.set(`${mailboxId}:${itemId}`, path);
  }

  private removeBlob(mailboxId: number, itemId: number): void {
    const path = this.blobFiles.get(`${mailboxId}:${itemId}`);
    if (!path) return;
    this.blobFiles.delete(`${mailboxId}:${itemId}`);
    for (const [key, value] of this.blobFiles)
      if (key.startsWith('digest:') && value === path) this.blobFiles.delete(key);
    rmSync(path, { force: true });
  }

  /** Records the directory as of now and writes it as `ldap/directory.ldif` (what slapcat would print). */
  private writeLdif(): void {
    const entries = directoryEntries({
      mailHost: 'mail.example.com',
      cos: this.cos,
      domains: this.domains,
      accounts: this.accounts,
    });
    // A change happens after whatever was observed at the current instant (a dump taken just before it).
    this.now += 1;
    this.directoryHistory.push({ time: this.now, entries });
    writeFileSync(join(this.hostDir, 'ldap', 'directory.ldif'), formatLdif(entries));
  }

  private count(action: string): void {
    this.counts[action] = (this.counts[action] ?? 0) + 1;
  }
}

function wholeSeconds(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** A v4-shaped UUID from a name (stable across runs and independent of the workload's generator). */
function stableUuid(namespace: string, name: string): string {
  const h = createHash('sha256').update(`${namespace}\0${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A v4-shaped UUID from the seeded generator (reproducible ids). */
/** Ids of a mailbox's folders that hold items (not saved searches or mountpoints). */
/** Whether a folder is Trash or lies under it (MailItem.inTrash: system folders other than Trash never are). */
function inTrash(state: MailboxState, folderId: number): boolean {
  for (let id = folderId, depth = 0; depth < 64; depth++) {
    if (id === FOLDER_ID.trash) return true;
    const parent = id > 255 ? state.folders[id]?.parentId : undefined;
    if (parent === undefined || parent === id) return false;
    id = parent;
  }
  return false;
}

/** Target constraints of conversation actions: none, the web client's usual one, and two others. */
const CONVERSATION_CONSTRAINTS: readonly (string | null)[] = [null, '-dtjs', '-dtjs', '-tj', 't'];

function plainFolderIds(state: MailboxState): number[] {
  return Object.entries(state.folders)
    .filter(([, f]) => !f.search && !f.mount)
    .map(([id]) => Number(id));
}

function uuidFrom(random: () => number): string {
  const hexDigits = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hexDigits.slice(0, 8)}-${hexDigits.slice(8, 12)}-4${hexDigits.slice(13, 16)}-a${hexDigits.slice(17, 20)}-${hexDigits.slice(20, 32)}`;
}
