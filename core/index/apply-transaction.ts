import { applyCalendarOp, applyICalReply } from '#core/index/apply-calendar-op.ts';
import { applyDocumentOp, documentIdOf } from '#core/index/apply-document-op.ts';
import { applyFolderOp, folderAttributes, folderOpNeeds, isFolderOp } from '#core/index/apply-folder-op.ts';
import { applyNoteOp, deleteCommentsOf, noteIdOf } from '#core/index/apply-note-op.ts';
import {
  actionTargets,
  CONVERSATION_TYPES,
  conversationMessages,
  folderInTrash,
  inConversation,
  joinConversation,
  namesConversation,
  threadDelivery,
} from '#core/index/conversations.ts';
import {
  configKey,
  configSectionOf,
  type EntityState,
  isFiled,
  isTagged,
  itemIdOf,
  itemKey,
  MAILBOX_KEY,
  type MessageEntity,
  tagKey,
  tagNameOf,
} from '#core/index/index-entity.ts';
import { bodyBytes, checkDigest, inflate, messageBody } from '#core/index/message-body.ts';
import { hintsOf, type MessageSummary, summarizeMessage } from '#core/index/message-summary.ts';
import { FLAG, FLAG_NAMES, FOLDER_ID, ITEM_TYPE } from '#core/mail-item.ts';
import { type FolderState, SECRET_CONFIG_SECTIONS, systemFolders } from '#core/mail-snapshot.ts';
import { RESULT_NOT_RECORDED } from '#core/redo/op-effects.ts';
import type { BodyRef, CreateMessageData, OpData, RedoRecord } from '#core/redo/redo-record.ts';
import type { CommittedTxn } from '#core/redo/transaction-assembler.ts';
import { withCustomSection } from '#core/scan/custom-data.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';

/** A StoreIncomingBlob body, kept by path so the linked CreateMessage records of a shared delivery find it. */
export interface IncomingBlob extends MessageSummary {
  path: string;
  sha256: string;
  size: number;
  /** Where its transaction committed (redo position); absent in blobs the index stored before it kept this. */
  pos?: string;
}

/** A message body the redo stream carried: goes to the content-addressed blob store once. */
export interface StoredBody {
  sha256: string;
  content: Buffer;
}

/** Where transactions are applied: the index (entities loaded from DynamoDB) or an in-memory replay. */
export interface EntityView {
  get(mailboxId: number, key: string): EntityState | null;
  set(mailboxId: number, key: string, state: EntityState | null): void;
  /** Every live entity of the mailbox but the mailbox itself. Only asked for after an `all` need. */
  list(mailboxId: number): Iterable<readonly [string, EntityState]>;
  /** The incoming blob at `path`, linked by a message of `mailboxId`. */
  incoming(path: string, mailboxId: number): IncomingBlob | undefined;
  /** A body stored for a shared delivery to these mailboxes (Zimbra's list; empty before redo 1.0). */
  storeIncoming(blob: IncomingBlob, mailboxIds: readonly number[]): void;
  storeBody(body: StoredBody): void;
  warn(message: string): void;
  /** When the entity last changed (ms, its current version's start), if the view knows. */
  changedAt(mailboxId: number, key: string): number | undefined;
  /**
   * The record names what the server did but not the result: nothing is applied, and the mailbox is
   * uncertain from this transaction until a scan restates it.
   */
  uncertain(record: RedoRecord, reason: string): void;
  /** Whether `get` may be asked for the entity (a view that holds everything leaves this out). */
  isLoaded?(mailboxId: number, key: string): boolean;
  /**
   * The live entities the view holds for the mailbox: every one after an `all` need, else what the needs
   * loaded and the transactions made. A view that holds everything leaves this out (`list` then).
   */
  held?(mailboxId: number): Iterable<readonly [string, EntityState]>;
  /** A message joined a conversation: a store keeps the joins, to load a conversation's messages later. */
  joinConversation?(mailboxId: number, convId: number, messageId: number): void;
}

/**
 * What applying a transaction reads: one entity, every entity of a mailbox, a folder and its ancestors (as
 * they stood when the segment began), or an incoming blob.
 */
export type EntityNeed =
  | { mailboxId: number; key: string }
  | { mailboxId: number; all: true }
  | { mailboxId: number; folderChain: number }
  | { mailboxId: number; conversation: number }
  | { incoming: string };

/** The entities `applyTransaction` will read, so a store can fetch them in one round before applying. */
export function entityNeeds(txn: CommittedTxn): EntityNeed[] {
  const needs: EntityNeed[] = [];
  for (const { data, header } of txn.ops) {
    const mailboxId = header.mailboxId;
    if (data.op === 'StoreIncomingBlob') continue;
    needs.push({ mailboxId, key: MAILBOX_KEY });
    if (isFolderOp(data)) {
      needs.push(...folderOpNeeds(mailboxId, data));
      continue;
    }
    switch (data.op) {
      case 'CreateMailbox':
        for (const id of Object.keys(systemFolders())) needs.push({ mailboxId, key: itemKey(id) });
        break;
      case 'CreateFolder':
      case 'RenameFolder':
        needs.push({ mailboxId, key: itemKey(data.folderId) });
        break;
      case 'CreateTag':
        if (data.name !== null) needs.push({ mailboxId, key: tagKey(data.name) });
        break;
      case 'CreateMessage':
      case 'SaveDraft':
      case 'CreateChat':
      case 'SaveChat':
        needs.push({ mailboxId, key: itemKey(data.msgId) });
        if (data.body.type === 'link' && data.path !== null) needs.push({ incoming: data.path });
        if (data.convFirstMsgId !== undefined && data.convFirstMsgId > 0)
          needs.push({ mailboxId, key: itemKey(data.convFirstMsgId) });
        // Conversations merged into this one: their messages move to it.
        if (data.convId > 0)
          for (const merged of data.mergedConvIds ?? [])
            if (merged > 0) needs.push({ mailboxId, conversation: merged });
        break;
      case 'CreateContact':
      case 'ModifyContact':
        needs.push({ mailboxId, key: itemKey(data.contactId) });
        break;
      case 'MoveItem':
      case 'AlterItemTag':
      case 'SetItemTags':
        needs.push(...itemActionNeeds(mailboxId, data));
        // A move's destination tells whether the move goes to Trash (which marks the messages read).
        if (data.op === 'MoveItem') needs.push({ mailboxId, folderChain: data.destFolderId });
        break;
      case 'DeleteItem':
        // Deleting a folder takes its subtree, and a document its comments: that needs the whole mailbox,
        // unless the record's type says the ids are items that hold nothing (the server refuses an id of
        // another type).
        if (LEAF_TYPES.has(data.itemType) || CONVERSATION_TYPES.has(data.itemType))
          needs.push(...itemActionNeeds(mailboxId, data));
        else needs.push({ mailboxId, all: true });
        break;
      case 'CopyItem':
      case 'ImapCopyItem':
      case 'RecoverItem':
        // A conversation copied: its own pair (the last) names it, and the copies of its messages join the new one.
        for (const copy of data.copies)
          if (data.itemType === ITEM_TYPE.conversation)
            needs.push({ mailboxId, conversation: copy.sourceId });
        for (const copy of data.copies)
          needs.push({ mailboxId, key: itemKey(copy.sourceId) }, { mailboxId, key: itemKey(copy.newId) });
        break;
      case 'DateItem':
      case 'RenameItem':
      case 'SetCustomData':
        needs.push({ mailboxId, key: itemKey(data.itemId) });
        break;
      case 'SetCalendarItem':
      case 'CreateInvite':
      case 'ModifyInvitePartStat':
        needs.push({ mailboxId, key: itemKey(data.calItemId) });
        break;
      case 'SaveDocument':
      case 'SaveWiki':
      case 'AddDocumentRevision':
      case 'PurgeRevision':
        needs.push({ mailboxId, key: itemKey(documentIdOf(data)) });
        if ('body' in data && data.body.type === 'link' && data.path !== null)
          needs.push({ incoming: data.path });
        break;
      case 'CreateNote':
      case 'EditNote':
      case 'RepositionNote':
      case 'CreateComment':
        needs.push({ mailboxId, key: itemKey(noteIdOf(data)) });
        break;
      case 'CreateFolderPath':
        for (const folder of data.folders) needs.push({ mailboxId, key: itemKey(folder.id) });
        break;
      case 'SetConfig':
        if (data.section !== null) needs.push({ mailboxId, key: configKey(data.section) });
        break;
      case 'RenameFolderPath':
        for (const id of [data.folderId, ...data.parentIds]) needs.push({ mailboxId, key: itemKey(id) });
        break;
      case 'RenameItemPath':
        for (const id of [data.itemId, ...data.parents.map((p) => p.id)])
          needs.push({ mailboxId, key: itemKey(id) });
        break;
      case 'EmptyFolder':
      case 'PurgeImapDeleted':
      case 'PurgeOldMessages':
      // A pattern (SQL LIKE) may name many configuration sections.
      case 'DeleteConfig':
      // A reply names its calendar item by UID: finding it needs the whole mailbox.
      case 'ICalReply':
      // A tag is renamed by id, and every item tagged with it changes: that needs the whole mailbox.
      case 'RenameTag':
        needs.push({ mailboxId, all: true });
        break;
      default:
        break;
    }
  }
  return needs;
}

/** Item types whose items hold no others: deleting one deletes just it. */
const LEAF_TYPES: ReadonlySet<number> = new Set([
  ITEM_TYPE.message,
  ITEM_TYPE.contact,
  ITEM_TYPE.appointment,
  ITEM_TYPE.task,
  ITEM_TYPE.chat,
]);

/** What an item action reads: the items it names, or the conversations (and a move's destination). */
function itemActionNeeds(mailboxId: number, data: { ids: number[]; itemType: number }): EntityNeed[] {
  return data.ids.map((id) =>
    namesConversation(data.itemType, id) && id > 0
      ? { mailboxId, conversation: id }
      : { mailboxId, key: itemKey(Math.abs(id)) },
  );
}

/**
 * Applies one committed transaction: the reference semantics of the redo ops, in log order. A message body
 * is checked against the digest the server recorded before it is believed.
 */
export function applyTransaction(txn: CommittedTxn, view: EntityView): void {
  for (const record of txn.ops) applyOp(record, view);
}

function applyOp(record: RedoRecord, view: EntityView): void {
  const { data, header } = record;
  const mailboxId = header.mailboxId;
  if (data.op === 'StoreIncomingBlob') {
    if (data.path === null) return;
    const content = inflate(bodyBytes(data.body, record), data.size, record);
    checkDigest(data.digest, content, record);
    const sha256 = sha256Hex(content);
    view.storeBody({ sha256, content });
    view.storeIncoming(
      { path: data.path, sha256, size: content.length, ...summarizeMessage(content) },
      data.mailboxIds,
    );
    return;
  }
  if (data.op === 'CreateMailbox') {
    view.set(mailboxId, MAILBOX_KEY, { kind: 'mailbox', accountId: data.accountId ?? '', renamedTo: null });
    for (const [id, folder] of Object.entries(systemFolders()))
      view.set(mailboxId, itemKey(id), { kind: 'folder', ...folder });
    return;
  }
  const mailbox = view.get(mailboxId, MAILBOX_KEY);
  if (mailbox?.kind !== 'mailbox') {
    if (data.op !== 'Checkpoint' && data.op !== 'CommitTxn' && data.op !== 'AbortTxn')
      view.warn(`${data.op} at ${record.offset}: mailbox ${mailboxId} does not exist`);
    return;
  }
  if (isFolderOp(data)) {
    applyFolderOp(mailboxId, data, record, view);
    return;
  }
  switch (data.op) {
    case 'DeleteMailbox':
      // The mailbox's items keep their last versions; the mailbox's own validity ends here, which ends theirs.
      view.set(mailboxId, MAILBOX_KEY, null);
      return;
    case 'RenameMailbox':
      view.set(mailboxId, MAILBOX_KEY, { ...mailbox, renamedTo: data.newName });
      return;
    case 'CreateFolder':
      view.set(mailboxId, itemKey(data.folderId), {
        kind: 'folder',
        name: data.name ?? '',
        parentId: data.parentId,
        ...folderAttributes(data),
      });
      return;
    case 'RenameFolder': {
      const folder = view.get(mailboxId, itemKey(data.folderId));
      if (folder?.kind === 'folder')
        view.set(mailboxId, itemKey(data.folderId), {
          ...folder,
          name: data.name ?? folder.name,
          parentId: data.parentId,
        });
      return;
    }
    case 'CreateTag':
      if (data.name !== null) view.set(mailboxId, tagKey(data.name), { kind: 'tag', tagId: data.tagId });
      return;
    case 'CreateMessage':
    case 'SaveDraft':
    // A chat (an instant-messaging log) is a message in the Chats folder, its body a MIME blob like mail.
    case 'CreateChat':
    case 'SaveChat':
      createMessage(mailboxId, data, record, view);
      return;
    case 'MoveItem':
      moveItems(mailboxId, data, record, view);
      return;
    case 'DeleteItem': {
      const documents = new Set<number>();
      for (const id of targetsOf(mailboxId, data, record, view)) {
        const item = view.get(mailboxId, itemKey(id));
        if (item?.kind === 'folder') deleteFolder(mailboxId, id, view, documents);
        else if (isFiled(item)) {
          if (item.kind === 'document') documents.add(id);
          view.set(mailboxId, itemKey(id), null);
        }
      }
      deleteCommentsOf(mailboxId, documents, view);
      return;
    }
    case 'EmptyFolder': {
      const documents = new Set<number>();
      emptyFolder(mailboxId, data.folderId, data.subfolders, view, documents);
      deleteCommentsOf(mailboxId, documents, view);
      return;
    }
    case 'AlterItemTag':
      for (const id of targetsOf(mailboxId, data, record, view)) {
        const msg = view.get(mailboxId, itemKey(id));
        if (!isTagged(msg)) continue;
        const name = data.tagName ?? null;
        const flag = name === null ? undefined : FLAG_NAMES[name];
        if (flag !== undefined) {
          view.set(mailboxId, itemKey(id), {
            ...msg,
            flags: data.tagged ? msg.flags | flag : msg.flags & ~flag,
          });
        } else if (name !== null) {
          const tags = new Set(msg.tags);
          if (data.tagged) tags.add(name);
          else tags.delete(name);
          view.set(mailboxId, itemKey(id), { ...msg, tags: [...tags].sort() });
        }
      }
      return;
    case 'SetItemTags':
      for (const id of targetsOf(mailboxId, data, record, view)) {
        const msg = view.get(mailboxId, itemKey(id));
        if (!isTagged(msg)) continue;
        view.set(mailboxId, itemKey(id), { ...msg, flags: data.flags, tags: tagNames(data.tags) });
      }
      return;
    case 'CreateContact':
      view.set(mailboxId, itemKey(data.contactId), {
        kind: 'contact',
        folderId: data.folderId,
        fields: fieldMap(data.fields),
        sha256: storeContactBody(data.body, record, view),
      });
      return;
    case 'ModifyContact': {
      const contact = view.get(mailboxId, itemKey(data.contactId));
      if (contact?.kind !== 'contact') return;
      view.set(mailboxId, itemKey(data.contactId), {
        ...contact,
        fields: fieldMap(data.fields),
        sha256: storeContactBody(data.body, record, view),
      });
      return;
    }
    case 'CopyItem':
    case 'ImapCopyItem':
    case 'RecoverItem':
      copyItems(mailboxId, data, record, view);
      return;
    case 'SetCalendarItem':
    case 'CreateInvite':
    case 'ModifyInvitePartStat':
      applyCalendarOp(mailboxId, data, record, view);
      return;
    case 'ICalReply':
      applyICalReply(mailboxId, data, record, view);
      return;
    case 'SaveDocument':
    case 'SaveWiki':
    case 'AddDocumentRevision':
    case 'PurgeRevision':
      applyDocumentOp(mailboxId, data, record, view);
      return;
    case 'CreateNote':
    case 'EditNote':
    case 'RepositionNote':
    case 'CreateComment':
      applyNoteOp(mailboxId, data, record, view);
      return;
    case 'RenameTag':
      renameTag(mailboxId, data.tagId, data.name, view);
      return;
    case 'DateItem': {
      const item = view.get(mailboxId, itemKey(data.itemId));
      if (item?.kind === 'message')
        view.set(mailboxId, itemKey(data.itemId), { ...item, receivedDate: data.date });
      return;
    }
    case 'RenameItem':
      renameItem(mailboxId, data.itemId, data.name, data.folderId, view);
      return;
    case 'SetCustomData': {
      if (!data.custom) return;
      const item = view.get(mailboxId, itemKey(data.itemId));
      if (item?.kind !== 'folder' && !isFiled(item)) {
        view.warn(
          `SetCustomData at ${record.offset}: item ${data.itemId} of mailbox ${mailboxId} is not known`,
        );
        return;
      }
      const { custom: old, ...rest } = item;
      const custom = withCustomSection(old, data.custom.key, data.custom.value);
      view.set(mailboxId, itemKey(data.itemId), { ...rest, ...(custom ? { custom } : {}) } as EntityState);
      return;
    }
    case 'SetConfig': {
      if (data.section === null) return;
      // Never kept, like a guest's share password (not a problem to report: it is the design).
      if (SECRET_CONFIG_SECTIONS.has(data.section.toUpperCase())) return;
      // An empty config deletes the section (SetConfig.redo: "" is null).
      view.set(
        mailboxId,
        configKey(data.section),
        data.config ? { kind: 'config', metadata: data.config } : null,
      );
      return;
    }
    case 'DeleteConfig': {
      if (data.section === null) return;
      const like = likePattern(data.section);
      for (const [key, entity] of [...view.list(mailboxId)])
        if (entity.kind === 'config' && like.test(configSectionOf(key) as string))
          view.set(mailboxId, key, null);
      return;
    }
    case 'RenameItemPath': {
      // An absolute path under the user root: folders for every part but the last (created as needed, with
      // the ids the server gave them), then the item takes the last part as its name, in the last folder.
      const names = (data.path ?? '').split('/').filter((n) => n !== '');
      const parents = data.parents.map((p) => p.id);
      if (names.length !== parents.length + 1) {
        view.warn(
          `RenameItemPath at ${record.offset}: path ${data.path} has ${names.length} names for ${parents.length} parent folders and the item`,
        );
        return;
      }
      setFolderPath(mailboxId, names.slice(0, -1).join('/'), parents, view, {});
      renameItem(mailboxId, data.itemId, names.at(-1) ?? null, parents.at(-1) ?? FOLDER_ID.root, view);
      return;
    }
    case 'CreateFolderPath':
      // Every folder along the path, existing or created, with the id the server gave it.
      setFolderPath(mailboxId, data.path, [...data.folders.map((f) => f.id)], view, folderAttributes(data));
      return;
    case 'RenameFolderPath':
      setFolderPath(mailboxId, data.path, [...data.parentIds, data.folderId], view, {});
      return;
    case 'PurgeImapDeleted':
      for (const [key, item] of [...view.list(mailboxId)]) {
        if (item.kind === 'message' && item.flags & (FLAG_NAMES['\\Deleted'] as number))
          view.set(mailboxId, key, null);
      }
      return;
    case 'PurgeOldMessages': {
      const candidates = purgeCandidates(mailboxId, header.timestamp, view);
      if (candidates.length > 0)
        view.uncertain(
          record,
          `a retention purge, with ${candidates.length} item${candidates.length === 1 ? '' : 's'} in Trash or Junk unchanged for 30 days (the server's default lifetimes) that it may have removed (${candidates.slice(0, 10).join(', ')}${candidates.length > 10 ? ', …' : ''}): the record carries no ids, so nothing is removed from the index until a scan restates the mailbox`,
        );
      return;
    }
    case 'FixCalendarItemTZ':
    case 'FixCalendarItemTimeZone':
    case 'FixCalendarItemEndTime':
    case 'FixCalendarItemPriority':
      view.uncertain(record, `${RESULT_NOT_RECORDED[data.op]} (item ${data.calItemId})`);
      return;
    case 'CreateFileSharedWithMe':
      view.uncertain(record, `${RESULT_NOT_RECORDED[data.op]} (remote file ${data.remoteUuid})`);
      return;
    default:
      return;
  }
}

/** zimbraMailTrashLifetime and zimbraMailSpamLifetime by default; both measured by change date by default. */
const DEFAULT_PURGE_LIFETIME_MS = 30 * 24 * 3600 * 1000;

/**
 * Items a retention purge at `at` removes with the server's default lifetimes: in Trash or Junk (or a folder
 * below them) and unchanged for the lifetime. Others lifetimes (per account, class of service, folder or tag
 * policy) are in the directory and the database, not the record.
 */
function purgeCandidates(mailboxId: number, at: number, view: EntityView): number[] {
  const entities = [...view.list(mailboxId)];
  const parents = new Map<number, number>();
  for (const [key, entity] of entities)
    if (entity.kind === 'folder') parents.set(itemIdOf(key) ?? -1, entity.parentId);
  const purged = (folderId: number): boolean => {
    for (let id = folderId, hops = 0; hops < 256; hops++) {
      if (id === FOLDER_ID.trash || id === FOLDER_ID.junk) return true;
      const parent = parents.get(id);
      if (parent === undefined || parent === id) return false;
      id = parent;
    }
    return false;
  };
  const candidates: number[] = [];
  for (const [key, entity] of entities) {
    if (!isFiled(entity) || !purged(entity.folderId)) continue;
    const changed = view.changedAt(mailboxId, key);
    if (changed !== undefined && changed < at - DEFAULT_PURGE_LIFETIME_MS)
      candidates.push(itemIdOf(key) ?? -1);
  }
  return candidates.sort((a, b) => a - b);
}

function createMessage(
  mailboxId: number,
  data: CreateMessageData,
  record: RedoRecord,
  view: EntityView,
): void {
  const stored = messageBody(data, record, view);
  if (!stored) {
    view.warn(`message ${data.msgId} at ${record.offset}: linked blob ${data.path} was never stored`);
    return;
  }
  const message: MessageEntity = {
    kind: 'message',
    folderId: data.folderId,
    flags: data.flags,
    tags: tagNames(data.tags),
    digest: data.digest ?? '',
    size: data.size,
    sha256: stored.sha256,
    receivedDate: data.receivedDate,
    ...hintsOf(stored),
  };
  const custom = data.custom ? withCustomSection(undefined, data.custom.key, data.custom.value) : undefined;
  // A draft saved again stays in its thread (the record names a conversation only when it makes one).
  const before = view.get(mailboxId, itemKey(data.msgId));
  const convId = data.convId > 0 || before?.kind !== 'message' ? data.convId : before.conv;
  view.set(mailboxId, itemKey(data.msgId), inConversation(custom ? { ...message, custom } : message, convId));
  if (convId !== undefined && convId > 0 && (before?.kind !== 'message' || before.conv !== convId))
    view.joinConversation?.(mailboxId, convId, data.msgId);
  threadDelivery(view, mailboxId, data);
}

/** The items an item action reaches (a conversation's messages for a conversation). */
function targetsOf(
  mailboxId: number,
  data: { ids: number[]; itemType: number; constraint: string | null; op: string },
  record: RedoRecord,
  view: EntityView,
): number[] {
  return actionTargets(view, mailboxId, data, (problem) =>
    view.warn(`${data.op} at ${record.offset}: ${problem}; every message of the conversation is taken`),
  );
}

/**
 * Moves items (MailItem.move, Conversation.move): a message moved into Trash from outside it is read from
 * then on; one moved alone into Junk leaves its conversation (a conversation moved there stays one).
 */
function moveItems(
  mailboxId: number,
  data: OpDataOf<'MoveItem'>,
  record: RedoRecord,
  view: EntityView,
): void {
  const dest = data.destFolderId;
  const toTrash = folderInTrash(view, mailboxId, dest);
  for (const id of targetsOf(mailboxId, data, record, view)) {
    const item = view.get(mailboxId, itemKey(id));
    if (item?.kind === 'message') {
      if (item.folderId === dest) continue;
      let moved: MessageEntity = { ...item, folderId: dest };
      if (toTrash && !folderInTrash(view, mailboxId, item.folderId))
        moved = { ...moved, flags: moved.flags & ~FLAG.unread };
      if (dest === FOLDER_ID.junk && !namesConversation(data.itemType, id))
        moved = inConversation(moved, undefined);
      view.set(mailboxId, itemKey(id), moved);
    } else if (isFiled(item)) view.set(mailboxId, itemKey(id), { ...item, folderId: dest });
    else if (item?.kind === 'folder') view.set(mailboxId, itemKey(id), { ...item, parentId: dest });
  }
}

/**
 * Copies (MailItem.copy, Mailbox.copy): the copy keeps the source's body (the same blob) and metadata under
 * its new id, in the destination. A copied message stays in its source's conversation unless it is a draft
 * or goes into or out of Junk; the messages of a copied conversation are copied alone, then put in a new
 * conversation (the pair that names it, when more than one was copied). An IMAP copy takes the source's
 * place in its conversation: the source stands alone from then on.
 */
function copyItems(
  mailboxId: number,
  data: OpDataOf<'CopyItem' | 'ImapCopyItem' | 'RecoverItem'>,
  record: RedoRecord,
  view: EntityView,
): void {
  const ofConversation = data.itemType === ITEM_TYPE.conversation;
  const copied = new Map<number, number>();
  for (const { sourceId, newId } of data.copies) {
    if (ofConversation && !isFiled(view.get(mailboxId, itemKey(sourceId)))) {
      // The conversation's own pair, after its messages': the copies of its messages form the new one.
      for (const member of conversationMessages(view, mailboxId, sourceId)) {
        const copyId = copied.get(member);
        const copy = copyId === undefined ? null : view.get(mailboxId, itemKey(copyId));
        if (copyId !== undefined && copy?.kind === 'message')
          joinConversation(view, mailboxId, copyId, copy, newId);
      }
      continue;
    }
    const source = view.get(mailboxId, itemKey(sourceId));
    if (source?.kind === 'message') {
      const imap = data.op === 'ImapCopyItem';
      const detached =
        ofConversation ||
        (source.flags & FLAG.draft) !== 0 ||
        (source.folderId === FOLDER_ID.junk) !== (data.destFolderId === FOLDER_ID.junk);
      const copy: MessageEntity = { ...source, folderId: data.destFolderId };
      view.set(mailboxId, itemKey(newId), detached && !imap ? inConversation(copy, undefined) : copy);
      if ((!detached || imap) && source.conv !== undefined)
        view.joinConversation?.(mailboxId, source.conv, newId);
      if (imap && source.conv !== undefined)
        view.set(mailboxId, itemKey(sourceId), inConversation(source, undefined));
      copied.set(sourceId, newId);
    } else if (source?.kind === 'contact' || source?.kind === 'note')
      view.set(mailboxId, itemKey(newId), { ...source, folderId: data.destFolderId });
    else
      view.warn(
        `${data.op} at ${record.offset}: source item ${sourceId} of mailbox ${mailboxId} is not known${data.op === 'RecoverItem' ? ' (the dumpster is not kept)' : ''}`,
      );
  }
}

/** A contact's blob (its vCard) goes to the blob store like a message body; its SHA-256, or null. */
function storeContactBody(
  body: BodyRef | null | undefined,
  record: RedoRecord,
  view: EntityView,
): string | null {
  if (!body || body.length === 0) return null;
  const content = bodyBytes(body, record);
  const sha256 = sha256Hex(content);
  view.storeBody({ sha256, content });
  return sha256;
}

/** Deletes the folder's items (and subfolders); the ids of documents deleted go to `documents`. */
function emptyFolder(
  mailboxId: number,
  folderId: number,
  subfolders: boolean,
  view: EntityView,
  documents: Set<number>,
): void {
  const entities = [...view.list(mailboxId)];
  for (const [key, item] of entities) {
    if (!isFiled(item) || item.folderId !== folderId) continue;
    if (item.kind === 'document') documents.add(itemIdOf(key) ?? -1);
    view.set(mailboxId, key, null);
  }
  if (!subfolders) return;
  for (const [key, item] of entities) {
    const id = itemIdOf(key);
    if (item.kind === 'folder' && item.parentId === folderId && id !== folderId && id !== undefined)
      deleteFolder(mailboxId, id, view, documents);
  }
}

/** A deleted folder takes its items and subfolders with it. */
function deleteFolder(mailboxId: number, folderId: number, view: EntityView, documents: Set<number>): void {
  if (view.get(mailboxId, itemKey(folderId)) === null) return; // reached twice through a cycle
  emptyFolder(mailboxId, folderId, true, view, documents);
  view.set(mailboxId, itemKey(folderId), null);
}

/** A tag (addressed by id) takes a new name, and so does every item tagged with it. */
function renameTag(mailboxId: number, tagId: number, name: string | null, view: EntityView): void {
  if (name === null) return;
  const entities = [...view.list(mailboxId)];
  const old = entities.find(([, e]) => e.kind === 'tag' && e.tagId === tagId);
  const oldName = old && tagNameOf(old[0]);
  if (!old || oldName === undefined || oldName === name) return;
  view.set(mailboxId, old[0], null);
  view.set(mailboxId, tagKey(name), { kind: 'tag', tagId });
  for (const [key, item] of entities)
    if (isTagged(item) && item.tags.includes(oldName))
      view.set(mailboxId, key, { ...item, tags: item.tags.map((t) => (t === oldName ? name : t)).sort() });
}

/** SQL LIKE as the server's DELETE … WHERE section LIKE ? applies it: `%` any run, `_` one character, no case. */
function likePattern(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\' && i + 1 < pattern.length) source += escapeRegExp(pattern[++i] as string);
    else if (c === '%') source += '.*';
    else if (c === '_') source += '.';
    else source += escapeRegExp(c);
  }
  return new RegExp(`^${source}$`, 'is');
}

const escapeRegExp = (c: string) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A folder or document renamed (and maybe moved). A document's current revision is the item, so it takes the
 * name; older revisions keep the names they were saved under. Other items have no name to change.
 */
function renameItem(
  mailboxId: number,
  itemId: number,
  newName: string | null,
  folderId: number,
  view: EntityView,
) {
  const item = view.get(mailboxId, itemKey(itemId));
  if (item?.kind === 'folder')
    view.set(mailboxId, itemKey(itemId), { ...item, name: newName ?? item.name, parentId: folderId });
  else if (item?.kind === 'document') {
    const name = newName ?? item.name;
    const revisions = item.revisions.map((r, i) => (i === item.revisions.length - 1 ? { ...r, name } : r));
    view.set(mailboxId, itemKey(itemId), { ...item, name, folderId, revisions });
  }
}

/**
 * Folders along `/a/b/c` get the ids given, each the parent of the next (the first under the root); one that
 * exists keeps its attributes, one created takes `created`'s.
 */
function setFolderPath(
  mailboxId: number,
  path: string | null,
  ids: number[],
  view: EntityView,
  created: Partial<FolderState>,
): void {
  const names = (path ?? '').split('/').filter((n) => n !== '');
  if (names.length !== ids.length) {
    view.warn(`folder path ${path} has ${names.length} names for ${ids.length} folder ids`);
    return;
  }
  let parentId: number = FOLDER_ID.root;
  names.forEach((name, i) => {
    const id = ids[i] as number;
    const existing = view.get(mailboxId, itemKey(id));
    view.set(
      mailboxId,
      itemKey(id),
      existing?.kind === 'folder'
        ? { ...existing, name, parentId }
        : { kind: 'folder', name, parentId, ...created },
    );
    parentId = id;
  });
}

function tagNames(tags: OpDataOf<'SetItemTags'>['tags']): string[] {
  return (tags ?? []).filter((t): t is string => t !== null).sort();
}

type OpDataOf<N extends OpData['op']> = Extract<OpData, { op: N }>;

function fieldMap(fields: [string | null, string | null][]): Record<string, string> {
  return Object.fromEntries(fields.filter(([k]) => k !== null).map(([k, v]) => [k as string, v ?? '']));
}

/** What a transaction did, for history: its first op (transactions are almost always one op). */
export function transactionOp(txn: CommittedTxn): string {
  return txn.ops[0]?.data.op ?? 'CommitTxn';
}
