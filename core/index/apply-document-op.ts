import type { EntityView } from '#core/index/apply-transaction.ts';
import { type DocumentEntity, itemKey } from '#core/index/index-entity.ts';
import { messageBody } from '#core/index/message-body.ts';
import { ITEM_TYPE } from '#core/mail-item.ts';
import type { DocumentRevision } from '#core/mail-snapshot.ts';
import type { OpDataOf, RedoRecord } from '#core/redo/redo-record.ts';

// Briefcase: SaveDocument (and SaveWiki, an old release's wiki page) creates a document with its first
// revision, AddDocumentRevision adds the next one, PurgeRevision drops old ones. Each revision's bytes travel
// in the record, like a message body, and go to the blob store; the item keeps every revision.

export type DocumentOp =
  | OpDataOf<'SaveDocument'>
  | OpDataOf<'SaveWiki'>
  | OpDataOf<'AddDocumentRevision'>
  | OpDataOf<'PurgeRevision'>;

/** The item a document op changes. */
export function documentIdOf(data: DocumentOp): number {
  if (data.op === 'AddDocumentRevision') return data.docId;
  if (data.op === 'PurgeRevision') return data.itemId;
  return data.msgId;
}

export function applyDocumentOp(
  mailboxId: number,
  data: DocumentOp,
  record: RedoRecord,
  view: EntityView,
): void {
  const id = documentIdOf(data);
  const key = itemKey(id);
  const where = `${data.op} at ${record.offset} (document ${id} of mailbox ${mailboxId})`;
  const current = view.get(mailboxId, key);
  const document = current?.kind === 'document' ? current : undefined;
  if (data.op === 'PurgeRevision') {
    if (!document) {
      view.warn(`${where}: the document is not known`);
      return;
    }
    const revisions = document.revisions.filter((r) =>
      data.includeOlder ? r.version > data.revision : r.version !== data.revision,
    );
    // The server never purges the current revision.
    const last = document.revisions.at(-1);
    if (last && !revisions.includes(last)) revisions.push(last);
    view.set(mailboxId, key, { ...document, revisions });
    return;
  }
  const stored = messageBody(data, record, view);
  if (!stored) {
    view.warn(`${where}: linked blob ${data.path} was never stored`);
    return;
  }
  if (data.op === 'AddDocumentRevision' && !document) {
    view.warn(`${where}: the document is not known`);
    return;
  }
  const revision: DocumentRevision = {
    version: (document?.revisions.at(-1)?.version ?? 0) + 1,
    name: data.filename ?? '',
    contentType: data.mimeType ?? 'application/octet-stream',
    author: data.author ?? '',
    date: data.receivedDate,
    size: stored.size,
    digest: data.digest ?? '',
    sha256: stored.sha256,
  };
  const description =
    data.descriptionEnabled === false ? '' : (data.description ?? document?.description ?? '');
  const next: DocumentEntity =
    data.op === 'AddDocumentRevision' && document
      ? { ...document, name: revision.name, description, revisions: [...document.revisions, revision] }
      : {
          kind: 'document',
          type: data.op === 'SaveWiki' || data.itemType === ITEM_TYPE.wiki ? 'wiki' : 'document',
          folderId: data.folderId,
          flags: data.flags,
          tags: (data.tags ?? []).filter((t): t is string => t !== null).sort(),
          name: revision.name,
          description,
          revisions: [revision],
        };
  view.set(mailboxId, key, next);
}
