import type { FolderSummary } from '#core/control-api.ts';
import { isFiled, itemIdOf } from '#core/index/index-entity.ts';
import type { FolderState } from '#core/mail-snapshot.ts';
import type { MailboxAsOf } from '#functions/query/mailbox-as-of.ts';

/** Folders of a mailbox as of T with their item counts per type and message bytes, by path. */
export function summarizeMailbox(found: MailboxAsOf): FolderSummary[] {
  const folders = new Map<number, FolderState>();
  for (const [key, entity] of found.entities)
    if (entity.kind === 'folder') folders.set(itemIdOf(key) as number, entity);
  const path = (id: number, depth = 0): string => {
    const folder = folders.get(id);
    if (!folder || id === 1 || depth > 64) return '';
    return `${path(folder.parentId, depth + 1)}/${folder.name}`;
  };
  const summary = new Map<number, FolderSummary>();
  for (const id of folders.keys())
    if (id !== 1)
      summary.set(id, {
        id,
        path: path(id),
        ...(folders.get(id)?.search ? { kind: 'search' as const } : {}),
        ...(folders.get(id)?.mount ? { kind: 'mountpoint' as const } : {}),
        messages: 0,
        contacts: 0,
        appointments: 0,
        tasks: 0,
        documents: 0,
        notes: 0,
        bytes: 0,
      });
  for (const entity of found.entities.values()) {
    if (!isFiled(entity)) continue;
    const folder = summary.get(entity.folderId);
    if (!folder) continue;
    if (entity.kind === 'message') {
      folder.messages++;
      folder.bytes += entity.size;
    } else if (entity.kind === 'contact') folder.contacts++;
    else if (entity.kind === 'document') folder.documents++;
    else if (entity.kind === 'note') folder.notes++;
    else if (entity.type === 'task') folder.tasks++;
    else folder.appointments++;
  }
  return [...summary.values()].sort((a, b) => a.path.localeCompare(b.path));
}
