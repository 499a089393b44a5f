import { configSectionOf, type EntityState, itemIdOf, tagNameOf } from '#core/index/index-entity.ts';
import {
  type ScanCalendar,
  type ScanConfig,
  type ScanContact,
  type ScanDocument,
  type ScanFolder,
  type ScanMessage,
  type ScanNote,
  type ScanTag,
  scanCalendarSchema,
  scanContactSchema,
  scanDocumentSchema,
  scanMessageSchema,
  scanNoteSchema,
} from '#core/scan/scan-snapshot.ts';
import type { ExportMailbox, ExportMailboxHeader } from '#core/transfer/export-format.ts';

/** The scan snapshot's limit on subject, sender and recipients. */
const HINT_LENGTH = 1024;

export interface UnexportableItem {
  id: number;
  kind: 'message' | 'contact' | 'calendar' | 'document' | 'note';
  reason: 'broken-item';
  detail: string;
}

/**
 * A mailbox's live entities as an export writes them: items in id order, each in the shape an import turns
 * back into a scan snapshot. An item the format cannot carry (a message whose body never reached the backup,
 * a contact field beyond the snapshot's limits) is left out and said so, never cut short.
 */
export function exportMailboxOf(
  header: ExportMailboxHeader,
  entities: Iterable<readonly [string, EntityState]>,
  options: { threads?: boolean } = {},
): { mailbox: ExportMailbox; unexportable: UnexportableItem[] } {
  const folders: ScanFolder[] = [];
  const tags: ScanTag[] = [];
  const messages: ScanMessage[] = [];
  const contacts: ScanContact[] = [];
  const calendar: ScanCalendar[] = [];
  const documents: ScanDocument[] = [];
  const notes: ScanNote[] = [];
  const config: ScanConfig[] = [];
  const unexportable: UnexportableItem[] = [];
  for (const [key, entity] of entities) {
    const id = itemIdOf(key);
    switch (entity.kind) {
      case 'folder': {
        const { kind: _kind, ...folder } = entity;
        folders.push({ type: 'folder', id: id as number, ...folder });
        break;
      }
      case 'tag':
        tags.push({ type: 'tag', id: entity.tagId, name: tagNameOf(key) as string });
        break;
      case 'config':
        config.push({ type: 'config', section: configSectionOf(key) as string, metadata: entity.metadata });
        break;
      case 'message': {
        if (!/^[0-9a-f]{64}$/.test(entity.sha256)) {
          unexportable.push({
            id: id as number,
            kind: 'message',
            reason: 'broken-item',
            detail: 'the backup has no body for this message (its content was never shipped)',
          });
          break;
        }
        // The conversation is in the source mailbox's own numbering: only the mailbox's own base snapshot
        // keeps it (`threads`); an export does not (an import into another mailbox must not join its threads).
        const { kind: _kind, subject, from, to, conv, ...message } = entity;
        // Subject, sender and recipients are search hints from the headers (the body keeps them whole):
        // shortened, not lost.
        const line = scanMessageSchema.safeParse({
          type: 'message',
          id,
          ...message,
          ...(subject === undefined ? {} : { subject: subject.slice(0, HINT_LENGTH) }),
          ...(from === undefined ? {} : { from: from.slice(0, HINT_LENGTH) }),
          ...(to === undefined ? {} : { to: to.slice(0, HINT_LENGTH) }),
          ...(options.threads && conv !== undefined ? { conv } : {}),
        });
        if (line.success) messages.push(line.data);
        else unexportable.push(cannotCarry(id as number, 'message', line.error.issues[0]?.message));
        break;
      }
      case 'contact': {
        const { kind: _kind, ...contact } = entity;
        const line = scanContactSchema.safeParse({ type: 'contact', id, ...contact });
        if (line.success) contacts.push(line.data);
        else unexportable.push(cannotCarry(id as number, 'contact', line.error.issues[0]?.message));
        break;
      }
      case 'calendar': {
        const { kind: _kind, type: itemType, ...item } = entity;
        const line = scanCalendarSchema.safeParse({ type: 'calendar', id, itemType, ...item });
        if (line.success) calendar.push(line.data);
        else unexportable.push(cannotCarry(id as number, 'calendar', line.error.issues[0]?.message));
        break;
      }
      case 'document': {
        const { kind: _kind, type: itemType, ...document } = entity;
        const line = scanDocumentSchema.safeParse({ type: 'document', id, itemType, ...document });
        if (line.success) documents.push(line.data);
        else unexportable.push(cannotCarry(id as number, 'document', line.error.issues[0]?.message));
        break;
      }
      case 'note': {
        const { kind: _kind, type: itemType, ...note } = entity;
        const line = scanNoteSchema.safeParse({ type: 'note', id, itemType, ...note });
        if (line.success) notes.push(line.data);
        else unexportable.push(cannotCarry(id as number, 'note', line.error.issues[0]?.message));
        break;
      }
      default:
        break; // the mailbox itself (in the header); directory entities are exported per server
    }
  }
  const byId = (a: { id: number }, b: { id: number }) => a.id - b.id;
  return {
    mailbox: {
      header,
      folders: folders.sort(byId),
      tags: tags.sort(byId),
      messages: messages.sort(byId),
      contacts: contacts.sort(byId),
      calendar: calendar.sort(byId),
      documents: documents.sort(byId),
      notes: notes.sort(byId),
      config: config.sort((a, b) => a.section.localeCompare(b.section)),
    },
    unexportable: unexportable.sort(byId),
  };
}

function cannotCarry(id: number, kind: UnexportableItem['kind'], why: string | undefined): UnexportableItem {
  return {
    id,
    kind,
    reason: 'broken-item',
    detail: `the export format cannot carry this ${kind} as the backup holds it: ${why ?? 'invalid'}`,
  };
}
