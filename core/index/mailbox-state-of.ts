import {
  configSectionOf,
  type EntityState,
  itemIdOf,
  type MailboxEntity,
  tagNameOf,
} from '#core/index/index-entity.ts';
import type { MailboxState } from '#core/mail-snapshot.ts';

/** The snapshot form of a mailbox from its live entities (what the ground truth and a restore compare on). */
export function mailboxStateOf(
  mailbox: MailboxEntity,
  entities: Iterable<readonly [string, EntityState]>,
): MailboxState {
  const state: MailboxState = {
    accountId: mailbox.accountId,
    renamedTo: mailbox.renamedTo,
    folders: {},
    tags: {},
    messages: {},
    contacts: {},
    calendar: {},
    documents: {},
  };
  for (const [key, entity] of entities) {
    const id = itemIdOf(key);
    switch (entity.kind) {
      case 'folder': {
        const { kind: _kind, ...folder } = entity;
        state.folders[String(id)] = folder;
        break;
      }
      case 'tag':
        state.tags[tagNameOf(key) as string] = entity.tagId;
        break;
      case 'config':
        state.config ??= {};
        state.config[configSectionOf(key) as string] = entity.metadata;
        break;
      case 'message': {
        const { kind: _kind, subject: _s, from: _f, to: _t, attachments: _a, conv: _c, ...message } = entity;
        state.messages[String(id)] = message;
        break;
      }
      case 'contact': {
        const { kind: _kind, ...contact } = entity;
        state.contacts[String(id)] = contact;
        break;
      }
      case 'calendar': {
        const { kind: _kind, ...item } = entity;
        state.calendar[String(id)] = item;
        break;
      }
      case 'document': {
        const { kind: _kind, ...document } = entity;
        state.documents[String(id)] = document;
        break;
      }
      case 'note': {
        const { kind: _kind, ...note } = entity;
        state.notes ??= {};
        state.notes[String(id)] = note;
        break;
      }
      default:
        break; // the mailbox itself; directory entities live in their own scope
    }
  }
  return state;
}
