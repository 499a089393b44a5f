import { inviteSummary } from '#core/calendar/invite-metadata.ts';
import type { FoundItem, MailboxRef, SearchType } from '#core/control-api.ts';
import { versionsOfItem } from '#core/index/entity-items.ts';
import { type EntityState, type FiledEntity, isFiled, itemIdOf } from '#core/index/index-entity.ts';
import { mailboxAsOf } from '#functions/query/mailbox-as-of.ts';
import { versionsEndedIn } from '#functions/query/versions-ended.ts';

export interface SearchFilter {
  /** Live items as of this instant (ms); default now. Ignored with `deleted`. */
  at?: number;
  /** Default: messages. */
  type?: SearchType;
  folderId?: number;
  /** A message's sender, a contact's address, an appointment's or task's organizer, a document's author. */
  from?: string;
  /** A message's subject, a contact's name, an appointment's or task's summary, a document's name, a note's text. */
  subject?: string;
  /** A message's recipients (To and Cc). */
  to?: string;
  /** The name of one of a message's attachments. */
  attachment?: string;
  /** Received (or, with `deleted`, deleted) before / after these instants (ms). */
  before?: number;
  after?: number;
  /** Items deleted in [after, before] instead of live ones. */
  deleted?: boolean;
}

/** Items of a mailbox matching every given filter (doItemSearch's common fields), newest first. */
export async function searchItems(
  table: string,
  ref: MailboxRef,
  filter: SearchFilter,
): Promise<FoundItem[]> {
  const type = filter.type ?? 'message';
  const matches = (found: FoundItem) =>
    (type === 'all' || found.type === type) &&
    (filter.folderId === undefined || found.folderId === filter.folderId) &&
    contains(found.from, filter.from) &&
    contains(found.subject, filter.subject) &&
    contains(found.to, filter.to) &&
    (filter.attachment === undefined ||
      (found.attachments ?? []).some((a) => contains(a, filter.attachment)));
  const found: FoundItem[] = [];
  if (filter.deleted) {
    const { items } = await versionsEndedIn(
      table,
      ref.serverId,
      ref.mailboxId,
      { from: filter.after ?? 0, to: filter.before },
      { expression: 'dl = :yes', values: { ':yes': true } },
    );
    // An item holding a deletion may carry the versions before it (not deletions): those are left out.
    for (const v of items.flatMap(versionsOfItem).filter((version) => version.deleted)) {
      const item = view(itemIdOf(v.key), v.state);
      if (!item || !matches(item)) continue;
      found.push({ ...item, deletedAt: new Date(v.toTime).toISOString(), deletedBy: v.endedBy });
    }
  } else {
    const state = await mailboxAsOf(table, ref.serverId, ref.mailboxId, filter.at ?? Date.now());
    for (const [key, entity] of state?.entities ?? []) {
      const item = view(itemIdOf(key), entity);
      if (!item || !matches(item)) continue;
      // Received before/after are about messages (the route refuses them with another type).
      const received = entity.kind === 'message' ? entity.receivedDate : undefined;
      if (filter.before !== undefined && received !== undefined && received >= filter.before) continue;
      if (filter.after !== undefined && received !== undefined && received < filter.after) continue;
      found.push(item);
    }
  }
  const when = (f: FoundItem) => f.deletedAt ?? f.receivedDate ?? '';
  return found.sort((a, b) => when(b).localeCompare(when(a)) || a.id - b.id);
}

/** Case-insensitive substring match; no filter matches everything. */
function contains(text: string | undefined, filter: string | undefined): boolean {
  return filter === undefined || (text ?? '').toLowerCase().includes(filter.toLowerCase());
}

function view(id: number | undefined, entity: EntityState): FoundItem | undefined {
  if (id === undefined || !isFiled(entity)) return undefined;
  return viewOf(id, entity);
}

function viewOf(id: number, entity: FiledEntity): FoundItem {
  switch (entity.kind) {
    case 'message':
      return {
        id,
        type: 'message',
        folderId: entity.folderId,
        ...(entity.subject !== undefined ? { subject: entity.subject } : {}),
        ...(entity.from !== undefined ? { from: entity.from } : {}),
        ...(entity.to !== undefined ? { to: entity.to } : {}),
        ...(entity.attachments !== undefined ? { attachments: entity.attachments } : {}),
        receivedDate: new Date(entity.receivedDate).toISOString(),
        size: entity.size,
        flags: entity.flags,
        tags: entity.tags,
        sha256: entity.sha256,
      };
    case 'contact': {
      const f = entity.fields;
      const name = f.fileAs ?? [f.firstName, f.lastName].filter(Boolean).join(' ');
      return {
        id,
        type: 'contact',
        folderId: entity.folderId,
        ...(name ? { subject: name } : {}),
        ...(f.email !== undefined ? { from: f.email } : {}),
        sha256: entity.sha256,
      };
    }
    case 'calendar': {
      const { summary, organizer, start } = inviteSummary(entity.invites[0]);
      return {
        id,
        type: entity.type,
        folderId: entity.folderId,
        ...(summary !== undefined ? { subject: summary } : {}),
        ...(organizer !== undefined ? { from: organizer } : {}),
        ...(start !== undefined ? { start } : {}),
        uid: entity.uid,
        flags: entity.flags,
        tags: entity.tags,
      };
    }
    case 'document': {
      const last = entity.revisions.at(-1);
      return {
        id,
        type: entity.type,
        folderId: entity.folderId,
        subject: entity.name,
        ...(last ? { from: last.author, size: last.size, sha256: last.sha256 } : {}),
        revisions: entity.revisions.length,
        flags: entity.flags,
        tags: entity.tags,
      };
    }
    case 'note':
      // A comment's author is an account id; its folder is the hidden Comments folder.
      return {
        id,
        type: entity.type,
        folderId: entity.folderId,
        subject: entity.text,
        ...(entity.creatorId !== undefined ? { from: entity.creatorId } : {}),
        ...(entity.parentId !== undefined ? { documentId: entity.parentId } : {}),
        flags: entity.flags,
        tags: entity.tags,
      };
  }
}
