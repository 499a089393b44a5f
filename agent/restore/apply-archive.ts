import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  type ApplyAccountReport,
  type ApplyOptions,
  emptyReport,
  selectedAccounts,
} from '#agent/restore/apply-report.ts';
import { inside } from '#agent/restore/bundle-source.ts';
import { RestoreTargetError } from '#agent/restore/errors.ts';
import type { OpenBundle } from '#agent/restore/open-bundle.ts';
import { type TarEntry, tarArchive } from '#agent/restore/tar-archive.ts';
import { accountDir } from '#core/restore/bundle-manifest.ts';
import { folderPaths, NON_MAIL_FOLDERS } from '#core/restore/folder-paths.ts';
import { imapFlagsOf } from '#core/restore/imap-flags.ts';
import { folderNameProblem } from '#core/restore/safe-name.ts';

// File targets rewritten whole on each run (a temporary file renamed into place), so a re-run gives the
// same files, and an interrupted run leaves the previous ones intact.

/**
 * One mbox file per folder, `<dir>/<account>/<folder path>.mbox` (mboxrd: `From ` lines in bodies are
 * quoted), flags in the Status, X-Status and X-Keywords headers mail readers use.
 */
export async function applyToMbox(
  bundle: OpenBundle,
  dir: string,
  options: ApplyOptions = {},
): Promise<ApplyAccountReport[]> {
  const reports: ApplyAccountReport[] = [];
  for (const [index, account] of selectedAccounts(bundle.accounts, options.accounts)) {
    const report = emptyReport(account);
    const paths = folderPaths(account.folders);
    for (const [folderId, messages] of Map.groupBy(account.messages, (m) => m.folderId)) {
      const path = paths.get(folderId) ?? ['INBOX'];
      const parts: Buffer[] = [];
      for (const message of messages) {
        const body = await bundle.message(index, message);
        const flags = imapFlagsOf(message.flags, message.tags);
        const status = `Status: ${flags.includes('\\Seen') ? 'RO' : 'O'}\n`;
        const xStatus = `X-Status: ${[flags.includes('\\Answered') ? 'A' : '', flags.includes('\\Flagged') ? 'F' : '', flags.includes('\\Draft') ? 'T' : '', flags.includes('\\Deleted') ? 'D' : ''].join('')}\n`;
        const keywords = flags.filter((f) => !f.startsWith('\\'));
        const from = `From MAILER-DAEMON ${new Date(message.receivedDate).toUTCString().replace(/^(\w+), (\d+) (\w+) (\d+) (.+) GMT$/, '$1 $3 $2 $5 $4')}\n`;
        const quoted = body.toString('latin1').replace(/(^|\n)(>*From )/g, '$1>$2');
        parts.push(
          Buffer.from(
            from + status + xStatus + (keywords.length ? `X-Keywords: ${keywords.join(' ')}\n` : ''),
            'latin1',
          ),
          Buffer.from(quoted.endsWith('\n') ? quoted : `${quoted}\n`, 'latin1'),
          Buffer.from('\n'),
        );
        report.appended++;
        report.bytes += body.length;
        options.onMessage?.(body.length);
      }
      const file = inside(dir, `${account.target}/${path.join('/')}.mbox`);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(`${file}.tmp`, Buffer.concat(parts));
      renameSync(`${file}.tmp`, file);
      report.folders++;
    }
    reports.push(report);
  }
  return reports;
}

/**
 * A gzipped tar of one account in the layout Zimbra's REST import (`?fmt=tgz`) reads: a directory per
 * folder path, a `.eml` per message dated with its received time, a `calendar.ics` per calendar or task
 * folder, a `contacts.vcf` per contact folder, and each document's current revision under its name. One
 * account per archive, as the import takes one mailbox.
 */
export async function applyToTgz(
  bundle: OpenBundle,
  file: string,
  options: ApplyOptions = {},
): Promise<ApplyAccountReport[]> {
  const accounts = selectedAccounts(bundle.accounts, options.accounts);
  if (accounts.length !== 1)
    throw new RestoreTargetError(
      `a tgz holds one account for Zimbra's import; this bundle has ${accounts.length} selected (${accounts.map(([, a]) => a.account.name).join(', ')}): choose one with --account`,
    );
  const [index, account] = accounts[0] as (typeof accounts)[number];
  const report = emptyReport(account);
  const paths = folderPaths(account.folders);
  const entries: TarEntry[] = [];
  for (const folder of account.folders) {
    if (NON_MAIL_FOLDERS.has(folder.id)) continue;
    report.folders++;
  }
  for (const message of account.messages) {
    const body = await bundle.message(index, message);
    const path = (paths.get(message.folderId) ?? ['INBOX']).map((p) => (p === 'INBOX' ? 'Inbox' : p));
    entries.push({ path: `${path.join('/')}/${message.id}.eml`, body, mtimeMs: message.receivedDate });
    report.appended++;
    report.bytes += body.length;
    options.onMessage?.(body.length);
  }
  // Zimbra's import files what has no .meta by its extension: .ics into a calendar (a task list under
  // Tasks/), .vcf into an address book, anything else as a Briefcase document (its current revision).
  const dirOf = (folderId: number) =>
    (paths.get(folderId) ?? []).map((p) => (p === 'INBOX' ? 'Inbox' : p)).join('/');
  const inDir = (folderId: number, name: string) => [dirOf(folderId), name].filter(Boolean).join('/');
  for (const book of account.calendars)
    entries.push({
      path: inDir(book.folderId, 'calendar.ics'),
      body: await bundle.file(`${accountDir(index)}/${book.file}`, book.sha256),
      mtimeMs: Date.now(),
    });
  for (const book of account.addressBooks)
    entries.push({
      path: inDir(book.folderId, 'contacts.vcf'),
      body: await bundle.file(`${accountDir(index)}/${book.file}`, book.sha256),
      mtimeMs: Date.now(),
    });
  if (account.addressBooks.length > 0) report.contactsNotApplied = 0;
  const taken = new Set(entries.map((e) => e.path));
  for (const document of account.documents) {
    const current = document.revisions.at(-1);
    if (!current) continue;
    // A name that is no safe file name, or one a message or another document took, gets the item id.
    const named =
      folderNameProblem(document.name) || /\.(eml|ics|vcf|csv|wiki|meta)$/i.test(document.name)
        ? `document-${document.id}`
        : document.name;
    const path = taken.has(inDir(document.folderId, named))
      ? inDir(document.folderId, `${document.id}-${named}`)
      : inDir(document.folderId, named);
    taken.add(path);
    entries.push({
      path,
      body: await bundle.file(`${accountDir(index)}/${current.file}`, current.sha256),
      mtimeMs: current.date,
    });
  }
  mkdirSync(dirname(join(file)), { recursive: true });
  writeFileSync(`${file}.tmp`, gzipSync(tarArchive(entries)));
  renameSync(`${file}.tmp`, file);
  return [report];
}
