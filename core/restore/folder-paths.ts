import { FOLDER_ID } from '#core/mail-item.ts';
import type { AccountManifest } from '#core/restore/bundle-manifest.ts';

/**
 * Each folder's path from the mailbox root, as names (the manifest schema has already refused cycles,
 * unknown parents and unsafe names). Zimbra's Inbox is IMAP's INBOX.
 */
export function folderPaths(folders: AccountManifest['folders']): Map<number, string[]> {
  const byId = new Map(folders.map((f) => [f.id, f]));
  const paths = new Map<number, string[]>();
  const pathOf = (id: number): string[] => {
    const known = paths.get(id);
    if (known) return known;
    const folder = byId.get(id);
    if (!folder || id === FOLDER_ID.root) return [];
    const name = id === FOLDER_ID.inbox ? 'INBOX' : folder.name;
    const path = [...pathOf(folder.parentId), name];
    paths.set(id, path);
    return path;
  };
  for (const f of folders) pathOf(f.id);
  paths.set(FOLDER_ID.root, []);
  return paths;
}

/** Folders of contacts, appointments, tasks and documents every Zimbra mailbox has: no place on a mail-only target. */
export const NON_MAIL_FOLDERS: ReadonlySet<number> = new Set([
  FOLDER_ID.contacts,
  FOLDER_ID.emailedContacts,
  FOLDER_ID.calendar,
  FOLDER_ID.tasks,
  FOLDER_ID.briefcase,
]);
