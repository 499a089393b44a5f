import { icalendarOf } from '#core/calendar/icalendar-of.ts';
import { FOLDER_ID } from '#core/mail-item.ts';
import { type MailboxState, systemFolders } from '#core/mail-snapshot.ts';
import {
  type AccountManifest,
  accountDir,
  calendarFile,
  type UnrestoredItem,
} from '#core/restore/bundle-manifest.ts';
import { operationObject, putBytes } from '#functions/restore/operation-objects.ts';

/**
 * An account's appointments and tasks for its manifest, each in a folder the bundle holds: an item whose
 * folder the index never saw goes to the mailbox's Calendar or Tasks folder (added if missing).
 */
export function calendarItemsOf(state: MailboxState): AccountManifest['calendar'] {
  const system = systemFolders();
  return Object.entries(state.calendar)
    .map(([id, item]) => {
      let folderId = item.folderId;
      if (!state.folders[String(folderId)]) {
        folderId = item.type === 'task' ? FOLDER_ID.tasks : FOLDER_ID.calendar;
        const folder = system[String(folderId)];
        if (!state.folders[String(folderId)] && folder) state.folders[String(folderId)] = folder;
      }
      return { id: Number(id), ...item, folderId };
    })
    .sort((a, b) => a.id - b.id);
}

/**
 * Writes one iCalendar file per folder of the account's calendar items into the bundle. An invite that does
 * not decode stays in the manifest as the server wrote it and is listed as unrestored with the reason.
 */
export async function writeCalendarFiles(
  bucket: string,
  operationId: string,
  index: number,
  folders: MailboxState['folders'],
  items: AccountManifest['calendar'],
  unrestored: UnrestoredItem[],
): Promise<AccountManifest['calendars']> {
  const files: AccountManifest['calendars'] = [];
  for (const [folderId, inFolder] of Map.groupBy(items, (c) => c.folderId)) {
    const name = folders[String(folderId)]?.name ?? 'Calendar';
    const { text, components, problems } = icalendarOf(
      name,
      inFolder.map((item) => ({ id: item.id, item })),
    );
    for (const problem of problems)
      unrestored.push({ id: problem.id, kind: 'calendar', reason: 'broken-item', detail: problem.detail });
    const file = calendarFile(folderId);
    const sha256 = await putBytes(
      bucket,
      operationObject.bundle(operationId, `${accountDir(index)}/${file}`),
      Buffer.from(text),
      'text/calendar',
    );
    files.push({ folderId, file, sha256, components });
  }
  return files.sort((a, b) => a.folderId - b.folderId);
}
