import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { inside } from '#agent/restore/bundle-source.ts';
import type { OpenBundle } from '#agent/restore/open-bundle.ts';
import { accountDir } from '#core/restore/bundle-manifest.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';

export interface DownloadReport {
  files: number;
  /** Already there with the right SHA-256 (a resumed download). */
  kept: number;
  bytes: number;
}

/**
 * Copies a bundle into `dir`, every file checked against its SHA-256 before it is renamed into place; a
 * file already there with the right digest is kept, so an interrupted download resumes. The result is a
 * bundle `restore apply` reads from the directory, offline.
 */
export async function downloadBundle(
  bundle: OpenBundle,
  dir: string,
  onFile: (bytes: number) => void = () => {},
): Promise<DownloadReport> {
  const report: DownloadReport = { files: 0, kept: 0, bytes: 0 };
  const put = async (path: string, sha256: string, read: () => Promise<Buffer>) => {
    const file = inside(dir, path);
    if (existsSync(file) && sha256Hex(readFileSync(file)) === sha256) {
      report.kept++;
      onFile(0);
      return;
    }
    const bytes = await read();
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.part`, bytes);
    renameSync(`${file}.part`, file);
    report.files++;
    report.bytes += bytes.length;
    onFile(bytes.length);
  };
  for (const [index, account] of bundle.accounts.entries()) {
    for (const message of account.messages)
      await put(`${accountDir(index)}/${message.file}`, message.sha256, () => bundle.message(index, message));
    for (const d of account.documents)
      for (const r of d.revisions)
        await put(`${accountDir(index)}/${r.file}`, r.sha256, () =>
          bundle.file(`${accountDir(index)}/${r.file}`, r.sha256),
        );
    for (const book of [...account.calendars, ...account.addressBooks])
      await put(`${accountDir(index)}/${book.file}`, book.sha256, () =>
        bundle.file(`${accountDir(index)}/${book.file}`, book.sha256),
      );
    if (account.ldif) {
      const { sha256 } = account.ldif;
      await put(`${accountDir(index)}/account.ldif`, sha256, () =>
        bundle.file(`${accountDir(index)}/account.ldif`, sha256),
      );
    }
    const entry = bundle.manifest.accounts[index];
    if (entry) await put(entry.file, entry.sha256, () => bundle.file(entry.file, entry.sha256));
  }
  const directory = bundle.manifest.directory;
  if (directory)
    await put(directory.file, directory.sha256, () => bundle.file(directory.file, directory.sha256));
  // The bundle manifest last: a directory with it is a complete bundle.
  const manifest = await bundle.source.read('manifest.json');
  await put('manifest.json', sha256Hex(manifest), async () => manifest);
  return report;
}

/** Total number of files a download writes (for a progress bar). */
export function bundleFileCount(bundle: OpenBundle): number {
  return (
    bundle.accounts.reduce((sum, a) => sum + a.messages.length + a.calendars.length + (a.ldif ? 2 : 1), 0) +
    (bundle.manifest.directory ? 1 : 0) +
    1
  );
}
