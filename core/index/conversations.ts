import type { EntityView } from '#core/index/apply-transaction.ts';
import { itemIdOf, itemKey, type MessageEntity } from '#core/index/index-entity.ts';
import { FIRST_USER_ID, FOLDER_ID, ITEM_TYPE } from '#core/mail-item.ts';

// Conversations as the redo log shows them (Zimbra's Conversation and MailItem.TargetConstraint): a message
// delivered into a thread names its conversation (CreateMessage convId, −1 when it stands alone); actions in
// the web client's conversation view (move, read, flag, tag, delete) name the conversation, not its
// messages, and reach the messages the action's target constraint lets in.

const INCLUDE = { trash: 0x01, spam: 0x02, sent: 0x04, drafts: 0x08, query: 0x10, others: 0x20 } as const;
const ALL_LOCATIONS = INCLUDE.trash | INCLUDE.spam | INCLUDE.sent | INCLUDE.drafts | INCLUDE.others;
const CODES: Readonly<Record<string, number>> = {
  t: INCLUDE.trash,
  j: INCLUDE.spam,
  s: INCLUDE.sent,
  d: INCLUDE.drafts,
  o: INCLUDE.others,
};

/** How many folders up a Trash walk follows (the server's own limit on nesting is far below). */
export const MAX_FOLDER_DEPTH = 64;

/** Whether a folder id is a user folder (whose ancestors decide whether it is in Trash), not a system one. */
export const isUserFolder = (folderId: number): boolean => folderId >= FIRST_USER_ID;

/**
 * A target constraint as the record carries it ("-dtjs": everything but Drafts, Trash, Junk and Sent) as
 * its inclusion bits; null when the record has none (every message), undefined when it does not parse.
 */
export function parseTargetConstraint(encoded: string | null): number | null | undefined {
  if (encoded === null) return null;
  let inclusions = 0;
  let invert = false;
  for (let i = 0; i < encoded.length; i++) {
    const c = encoded.charAt(i);
    // A query follows: the server does not check it (MailItem.TargetConstraint.checkItem), nor do we.
    if (c === 'q') break;
    if (c === '-' && i === 0 && encoded.length > 1) {
      invert = true;
      continue;
    }
    const bit = CODES[c];
    if (bit === undefined) return undefined;
    inclusions |= bit;
  }
  return invert ? inclusions ^ ALL_LOCATIONS : inclusions;
}

/** Whether a folder is Trash or lies under it (a user folder's ancestors are followed, as the server does). */
export function folderInTrash(view: EntityView, mailboxId: number, folderId: number): boolean {
  let id = folderId;
  for (let depth = 0; depth < MAX_FOLDER_DEPTH; depth++) {
    if (id === FOLDER_ID.trash) return true;
    if (!isUserFolder(id)) return false;
    // An ancestor the view does not hold (a folder created under an unloaded one in the same segment).
    if (view.isLoaded && !view.isLoaded(mailboxId, itemKey(id))) return false;
    const folder = view.get(mailboxId, itemKey(id));
    if (folder?.kind !== 'folder' || folder.parentId === id) return false;
    id = folder.parentId;
  }
  return false;
}

/**
 * Whether a message in `folderId` passes the constraint. Sent is the system Sent folder, as the server counts
 * it unless the account names another sent folder (a preference the redo log does not carry).
 */
function passes(inclusions: number, view: EntityView, mailboxId: number, folderId: number): boolean {
  const trash = folderInTrash(view, mailboxId, folderId);
  const spam = folderId === FOLDER_ID.junk;
  const sent = folderId === FOLDER_ID.sent;
  const drafts = folderId === FOLDER_ID.drafts;
  return (
    (inclusions & INCLUDE.trash && trash) ||
    (inclusions & INCLUDE.spam && spam) ||
    (inclusions & INCLUDE.sent && sent) ||
    (inclusions & INCLUDE.drafts && drafts) ||
    (inclusions & INCLUDE.others && !trash && !spam && !sent && !drafts) ||
    false
  );
}

export const CONVERSATION_TYPES: ReadonlySet<number> = new Set([
  ITEM_TYPE.conversation,
  ITEM_TYPE.virtualConversation,
]);

/**
 * Whether an action's id names a conversation: the action says so by its type, or the id is negative (a
 * message alone is its own virtual conversation, −its id). An action without a type that names a real
 * conversation by its id is taken as naming an item (no client known to us sends one).
 */
export function namesConversation(itemType: number, id: number): boolean {
  return CONVERSATION_TYPES.has(itemType) || (itemType === ITEM_TYPE.unknown && id < 0);
}

/** The messages of a conversation now: a virtual one's single message, or those that name it. */
export function conversationMessages(view: EntityView, mailboxId: number, convId: number): number[] {
  if (convId < 0) {
    const message = view.get(mailboxId, itemKey(-convId));
    return message?.kind === 'message' && message.conv === undefined ? [-convId] : [];
  }
  const members: number[] = [];
  for (const [key, entity] of heldEntities(view, mailboxId))
    if (entity.kind === 'message' && entity.conv === convId) members.push(itemIdOf(key) as number);
  return members;
}

/** What the view holds of the mailbox: enough to find a conversation's messages once its joins are loaded. */
const heldEntities = (view: EntityView, mailboxId: number) =>
  view.held ? view.held(mailboxId) : view.list(mailboxId);

/**
 * The items an item action (MoveItem, AlterItemTag, SetItemTags, DeleteItem) reaches: the ids it names, and
 * for a conversation, its messages that the constraint lets in. `warn` hears of a constraint that does not
 * parse (every message is taken then, as if there were none).
 */
export function actionTargets(
  view: EntityView,
  mailboxId: number,
  action: { ids: readonly number[]; itemType: number; constraint: string | null },
  warn: (message: string) => void,
): number[] {
  if (!action.ids.some((id) => namesConversation(action.itemType, id))) return [...action.ids];
  const inclusions = parseTargetConstraint(action.constraint);
  if (inclusions === undefined) warn(`target constraint "${action.constraint}" does not parse`);
  const targets: number[] = [];
  for (const id of action.ids) {
    if (!namesConversation(action.itemType, id)) {
      targets.push(id);
      continue;
    }
    for (const messageId of conversationMessages(view, mailboxId, id)) {
      const message = view.get(mailboxId, itemKey(messageId)) as MessageEntity;
      if (inclusions == null || passes(inclusions, view, mailboxId, message.folderId))
        targets.push(messageId);
    }
  }
  return targets;
}

/** A message joins a conversation: its state names it, and the view hears of the join. */
export function joinConversation(
  view: EntityView,
  mailboxId: number,
  messageId: number,
  message: MessageEntity,
  convId: number,
): void {
  view.set(mailboxId, itemKey(messageId), inConversation(message, convId));
  if (message.conv !== convId) view.joinConversation?.(mailboxId, convId, messageId);
}

/** A message with its conversation set (a real one, id > 0) or cleared. */
export function inConversation(message: MessageEntity, convId: number | undefined): MessageEntity {
  const { conv: _conv, ...rest } = message;
  return convId !== undefined && convId > 0 ? { ...rest, conv: convId } : rest;
}

/**
 * A delivery's effect on threads (Mailbox.addMessage): the message joins `convId`; the standalone message
 * the new conversation was made from (convFirstMsgId) joins it too; the messages of conversations merged
 * into it (mergedConvIds) move to it.
 */
export function threadDelivery(
  view: EntityView,
  mailboxId: number,
  data: { convId: number; convFirstMsgId?: number; mergedConvIds?: readonly number[] },
): void {
  if (data.convId <= 0) return;
  const first = data.convFirstMsgId ?? -1;
  if (first > 0) {
    const message = view.get(mailboxId, itemKey(first));
    if (message?.kind === 'message' && message.conv === undefined)
      joinConversation(view, mailboxId, first, message, data.convId);
  }
  const merged = new Set((data.mergedConvIds ?? []).filter((id) => id > 0 && id !== data.convId));
  if (merged.size === 0) return;
  for (const [key, entity] of [...heldEntities(view, mailboxId)])
    if (entity.kind === 'message' && entity.conv !== undefined && merged.has(entity.conv))
      joinConversation(view, mailboxId, itemIdOf(key) as number, entity, data.convId);
}
