import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  type ApplyAccountReport,
  type ApplyOptions,
  checkedMessage,
  emptyReport,
  selectedAccounts,
} from '#agent/restore/apply-report.ts';
import { inside } from '#agent/restore/bundle-source.ts';
import { RestoreTargetError } from '#agent/restore/errors.ts';
import type { OpenBundle } from '#agent/restore/open-bundle.ts';
import { folderPaths, NON_MAIL_FOLDERS } from '#core/restore/folder-paths.ts';
import { keywordOf, maildirLettersOf } from '#core/restore/imap-flags.ts';
import { encodeModifiedUtf7 } from '#core/restore/modified-utf7.ts';

/** Names a Maildir in Dovecot's fs layout uses inside every folder: a folder cannot have them. */
const RESERVED = new Set(['cur', 'new', 'tmp']);

/**
 * Writes each account as a Maildir tree under `<dir>/<account>/` in Dovecot's fs layout (INBOX in
 * `INBOX/`, a subfolder inside its parent's directory, names in modified UTF-7): Dovecot serves it with
 * `mail_location = maildir:<dir>/%u:LAYOUT=fs:INBOX=<dir>/%u/INBOX`. Flags become Maildir info letters and
 * tags keywords (`dovecot-keywords`). A message already there (same item, same content) is skipped, so a
 * re-run or a resumed run adds only what is missing.
 */
export async function applyToMaildir(
  bundle: OpenBundle,
  dir: string,
  options: ApplyOptions = {},
): Promise<ApplyAccountReport[]> {
  const reports: ApplyAccountReport[] = [];
  for (const [index, account] of selectedAccounts(bundle.accounts, options.accounts)) {
    const root = inside(dir, account.target);
    const paths = folderPaths(account.folders);
    const report: ApplyAccountReport = emptyReport(account);
    const folderDir = (folderId: number): string => {
      const path = paths.get(folderId) ?? [];
      const reserved = path.find((name) => RESERVED.has(name));
      if (reserved)
        throw new RestoreTargetError(
          `folder ${path.join('/')} of ${account.account.name} cannot be a Maildir folder (a folder named "${reserved}" clashes with the Maildir layout): apply to IMAP or tgz instead`,
        );
      // Dovecot keeps folder names on disk in modified UTF-7, as IMAP names them.
      const relative = path.length === 0 ? 'INBOX' : path.map(encodeModifiedUtf7).join('/');
      // Each of cur, new and tmp passes the check too: none may be a link planted in the target.
      for (const sub of ['cur', 'new', 'tmp'])
        mkdirSync(inside(root, `${relative}/${sub}`), { recursive: true });
      return inside(root, relative);
    };
    for (const folder of account.folders) {
      if (NON_MAIL_FOLDERS.has(folder.id)) continue;
      folderDir(folder.id);
      report.folders++;
    }
    const byFolder = Map.groupBy(account.messages, (m) => m.folderId);
    for (const [folderId, messages] of byFolder) {
      const folder = folderDir(folderId);
      const keywords = keywordLetters(
        folder,
        messages.flatMap((m) => m.tags.map(keywordOf)),
      );
      const present = new Set(
        ['cur', 'new'].flatMap((sub) => readdirSync(join(folder, sub)).map((name) => name.split(':')[0])),
      );
      for (const message of messages) {
        const base = `${Math.floor(message.receivedDate / 1000)}.M${message.id}P${message.sha256.slice(0, 16)}.offsite`;
        if (present.has(base)) {
          report.skipped++;
          options.onMessage?.(0);
          continue;
        }
        const body = await checkedMessage(bundle, index, message, report);
        if (!body) continue;
        const letters =
          maildirLettersOf(message.flags) +
          message.tags
            .map((t) => keywords.get(keywordOf(t)) as string)
            .sort()
            .join('');
        const tmp = join(folder, 'tmp', base);
        // A leftover of a crashed run is replaced; a link there is removed, never written through.
        rmSync(tmp, { force: true });
        writeFileSync(tmp, body, { flag: 'wx' });
        renameSync(tmp, join(folder, 'cur', `${base}:2,${letters}`));
        report.appended++;
        report.bytes += body.length;
        options.onMessage?.(body.length);
      }
    }
    reports.push(report);
  }
  return reports;
}

/** Keyword letters (a–z) of a folder's tags, kept in its `dovecot-keywords` file across runs. */
function keywordLetters(folder: string, tags: string[]): Map<string, string> {
  const file = join(folder, 'dovecot-keywords');
  const names: string[] = [];
  if (existsSync(file) && lstatSync(file).isSymbolicLink())
    throw new RestoreTargetError(`${file} is a symbolic link: a restore does not follow links; remove it`);
  if (existsSync(file))
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const match = /^(\d+) (.+)$/.exec(line);
      if (match) names[Number(match[1])] = match[2] as string;
    }
  for (const tag of [...new Set(tags)].sort()) if (!names.includes(tag)) names.push(tag);
  if (names.length > 26)
    throw new RestoreTargetError(`folder ${folder} would need ${names.length} keywords; a Maildir holds 26`);
  if (names.length > 0) writeFileSync(file, `${names.map((n, i) => `${i} ${n}`).join('\n')}\n`);
  return new Map(names.map((n, i) => [n, String.fromCharCode(97 + i)]));
}
