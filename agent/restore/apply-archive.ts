import { once } from 'node:events';
import { createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
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
import { writeZimbraArchive } from '#agent/restore/zimbra-archive.ts';
import type { BundleMessage } from '#core/restore/bundle-manifest.ts';
import { folderPaths } from '#core/restore/folder-paths.ts';
import { imapFlagsOf } from '#core/restore/imap-flags.ts';

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
      const file = inside(dir, `${account.target}/${path.join('/')}.mbox`);
      mkdirSync(dirname(file), { recursive: true });
      // Streamed: a folder of any size passes through one message at a time.
      const out = createWriteStream(`${file}.tmp`, { mode: 0o600 });
      const write = async (text: string) => {
        if (!out.write(Buffer.from(text, 'latin1'))) await once(out, 'drain');
      };
      try {
        for (const message of messages) {
          const body = await checkedMessage(bundle, index, message, report);
          if (!body) continue;
          await write(mboxHeaders(message));
          const quoted = body.toString('latin1').replace(/(^|\n)(>*From )/g, '$1>$2');
          await write(quoted.endsWith('\n') ? `${quoted}\n` : `${quoted}\n\n`);
          report.appended++;
          report.bytes += body.length;
          options.onMessage?.(body.length);
        }
        await new Promise<void>((done, fail) =>
          out.end((error?: Error | null) => (error ? fail(error) : done())),
        );
      } catch (error) {
        out.destroy();
        rmSync(`${file}.tmp`, { force: true });
        throw error;
      }
      renameSync(`${file}.tmp`, file);
      report.folders++;
    }
    reports.push(report);
  }
  return reports;
}

/**
 * One account as the gzipped tar Zimbra's REST import reads (`?fmt=tgz`): every item with its `.meta`
 * (flags, tags, dates, folders with their views, colors and shares, calendars and tasks with their invites,
 * contacts, every Briefcase revision). One account per archive, as the import takes one mailbox.
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
  return [await writeZimbraArchive(bundle, index, account, file, options)];
}

/** The `From ` line and the flag headers mail readers use (Status, X-Status, X-Keywords). */
function mboxHeaders(message: BundleMessage): string {
  const flags = imapFlagsOf(message.flags, message.tags);
  const status = `Status: ${flags.includes('\\Seen') ? 'RO' : 'O'}\n`;
  const xStatus = `X-Status: ${[flags.includes('\\Answered') ? 'A' : '', flags.includes('\\Flagged') ? 'F' : '', flags.includes('\\Draft') ? 'T' : '', flags.includes('\\Deleted') ? 'D' : ''].join('')}\n`;
  const keywords = flags.filter((f) => !f.startsWith('\\'));
  const from = `From MAILER-DAEMON ${new Date(message.receivedDate).toUTCString().replace(/^(\w+), (\d+) (\w+) (\d+) (.+) GMT$/, '$1 $3 $2 $5 $4')}\n`;
  return from + status + xStatus + (keywords.length ? `X-Keywords: ${keywords.join(' ')}\n` : '');
}
