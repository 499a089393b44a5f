import type { MessageSummary } from '#core/index/message-summary.ts';
import type { DirectoryKind } from '#core/ldap/directory-objects.ts';
import type {
  CalendarItemState,
  ContactState,
  DocumentState,
  FolderState,
  MessageState,
  NoteState,
} from '#core/mail-snapshot.ts';

// What the index versions: every entity of a mailbox (the mailbox itself, its folders, tags, messages and
// contacts) as a plain JSON state. A version is one state with the interval of redo time it was valid in.

export interface MailboxEntity {
  kind: 'mailbox';
  accountId: string;
  renamedTo: string | null;
}

/** A folder, a saved search or a mountpoint (see FolderState). */
export interface FolderEntity extends FolderState {
  kind: 'folder';
}

/** A section of the mailbox's configuration (SetConfig), its metadata as the server wrote it. */
export interface ConfigEntity {
  kind: 'config';
  metadata: string;
}

export interface TagEntity {
  kind: 'tag';
  tagId: number;
}

/** A message as the snapshot knows it, plus what search needs (from its headers, when the body was seen). */
export interface MessageEntity extends MessageState, MessageSummary {
  kind: 'message';
  /** The (real) conversation it is in; absent when it stands alone (its own virtual conversation). */
  conv?: number;
}

export interface ContactEntity extends ContactState {
  kind: 'contact';
}

/** An appointment or a task with its invites. */
export interface CalendarEntity extends CalendarItemState {
  kind: 'calendar';
}

export interface DocumentEntity extends DocumentState {
  kind: 'document';
}

/** A note, or a comment on a document. */
export interface NoteEntity extends NoteState {
  kind: 'note';
}

/** Items filed in a folder, which moves, deletes, tags and flags apply to. */
export type FiledEntity = MessageEntity | ContactEntity | CalendarEntity | DocumentEntity | NoteEntity;

export function isFiled(entity: EntityState | null): entity is FiledEntity {
  return (
    entity?.kind === 'message' ||
    entity?.kind === 'contact' ||
    entity?.kind === 'calendar' ||
    entity?.kind === 'document' ||
    entity?.kind === 'note'
  );
}

/** Items that carry flags and tags of their own. */
export type TaggedEntity = MessageEntity | CalendarEntity | DocumentEntity | NoteEntity;

export function isTagged(entity: EntityState | null): entity is TaggedEntity {
  return (
    entity?.kind === 'message' ||
    entity?.kind === 'calendar' ||
    entity?.kind === 'document' ||
    entity?.kind === 'note'
  );
}

/** The bodies an entity holds in the blob store (a document: one per revision). */
export function bodiesOf(entity: EntityState | null): { sha256: string; size?: number }[] {
  if (entity?.kind === 'message') return [{ sha256: entity.sha256, size: entity.size }];
  if (entity?.kind === 'contact') return entity.sha256 ? [{ sha256: entity.sha256 }] : [];
  if (entity?.kind === 'document') return entity.revisions.map((r) => ({ sha256: r.sha256, size: r.size }));
  return [];
}

/** A directory object (from an LDAP dump) as it was at the dump's time. */
export interface DirectoryEntity {
  kind: 'directory';
  object: DirectoryKind;
  name: string;
  targetId?: string;
  attributes: Record<string, string[]>;
}

/** What a name (address, domain, class of service) meant: an alias names its account. */
export interface NameEntity {
  kind: 'name';
  zimbraId: string;
  object: DirectoryKind;
}

export type EntityState =
  | MailboxEntity
  | FolderEntity
  | TagEntity
  | ConfigEntity
  | MessageEntity
  | ContactEntity
  | CalendarEntity
  | DocumentEntity
  | NoteEntity
  | DirectoryEntity
  | NameEntity;

/** Zimbra mailbox ids start at 1: scope 0 holds the server's directory (from its LDAP dumps). */
export const DIRECTORY_SCOPE = 0;
export const directoryKey = (zimbraId: string): string => `dir:${zimbraId}`;
export const nameKey = (name: string): string => `name:${name}`;

/**
 * Entity keys within a mailbox. Folders, messages and contacts share Zimbra's item id space (a MoveItem or
 * DeleteItem id can name any of them); tags are addressed by name, as the redo log addresses them.
 */
export const MAILBOX_KEY = 'mailbox';
export const itemKey = (id: number | string): string => `item:${id}`;
export const tagKey = (name: string): string => `tag:${name}`;
/** Configuration sections by name, upper case: the server's table compares them without case. */
export const configKey = (section: string): string => `config:${section.toUpperCase()}`;

export function itemIdOf(key: string): number | undefined {
  return key.startsWith('item:') ? Number(key.slice(5)) : undefined;
}

export function configSectionOf(key: string): string | undefined {
  return key.startsWith('config:') ? key.slice(7) : undefined;
}

export function tagNameOf(key: string): string | undefined {
  return key.startsWith('tag:') ? key.slice(4) : undefined;
}
