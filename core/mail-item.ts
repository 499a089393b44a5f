// Zimbra's item model as far as the redo log and a restore need it (MailItem.Type, Mailbox.ID_FOLDER_*, Flag).

/** MailItem.Type byte values, as written in MoveItem, DeleteItem, AlterItemTag, SetItemTags. */
export const ITEM_TYPE = {
  unknown: -1,
  folder: 1,
  searchFolder: 2,
  tag: 3,
  conversation: 4,
  message: 5,
  contact: 6,
  document: 8,
  note: 9,
  flag: 10,
  appointment: 11,
  virtualConversation: 12,
  mountpoint: 13,
  /** 14 was the wiki page type of old releases. */
  wiki: 14,
  task: 15,
  chat: 16,
  comment: 17,
  link: 18,
} as const;

/** System folder ids every mailbox has; user items start at FIRST_USER_ID. */
export const FOLDER_ID = {
  root: 1,
  inbox: 2,
  trash: 3,
  junk: 4,
  sent: 5,
  drafts: 6,
  contacts: 7,
  tags: 8,
  calendar: 10,
  emailedContacts: 13,
  /** Instant-messaging logs (CreateChat, SaveChat): chats are messages in this folder. */
  chats: 14,
  tasks: 15,
  briefcase: 16,
  /** Hidden: where comments on documents live (CreateComment). */
  comments: 17,
} as const;

export const FIRST_USER_ID = 256;

/** Flag bits in an item's `flags` (bit = 1 << (-flagId - 1)). */
export const FLAG = {
  fromMe: 1 << 0,
  attached: 1 << 1,
  replied: 1 << 2,
  forwarded: 1 << 3,
  flagged: 1 << 5,
  draft: 1 << 6,
  deleted: 1 << 7,
  unread: 1 << 9,
} as const;

/** Flag names as AlterItemTag carries them (tag names starting with a backslash are flags). */
export const FLAG_NAMES: Readonly<Record<string, number>> = {
  '\\Flagged': FLAG.flagged,
  '\\Unread': FLAG.unread,
  '\\Deleted': FLAG.deleted,
  '\\Answered': FLAG.replied,
  '\\Draft': FLAG.draft,
};

/** The name of a Zimbra item type (`appointment` for 11), or `unknown` for a type no release has. */
export function itemTypeName(type: number): string {
  return Object.entries(ITEM_TYPE).find(([, t]) => t === type)?.[0] ?? 'unknown';
}
