import { createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import {
  type ApplyAccountReport,
  type ApplyOptions,
  checkedBody,
  emptyReport,
} from '#agent/restore/apply-report.ts';
import type { OpenBundle } from '#agent/restore/open-bundle.ts';
import { FILE_MODE, TarWriter } from '#agent/restore/tar-writer.ts';
import { type AccountManifest, accountDir } from '#core/restore/bundle-manifest.ts';
import { zimbraArchiveItems } from '#core/restore/zimbra-archive-items.ts';
import { encodeItemData, ITEM_TYPE_NAME } from '#core/restore/zimbra-item-data.ts';

/**
 * Writes one account as the gzipped tar Zimbra's REST import reads (`POST /service/home/<account>/?fmt=tgz`),
 * streaming: each body is read from the bundle and checked against its SHA-256 just before its entries are
 * written, so memory holds one item at a time. An item whose body fails its check is left out whole (no
 * `.meta` either: the import would report a missing blob) and reported. Written to `<file>.tmp`, then renamed.
 */
export async function writeZimbraArchive(
  bundle: OpenBundle,
  index: number,
  account: AccountManifest,
  file: string,
  options: ApplyOptions = {},
): Promise<ApplyAccountReport> {
  const plan = zimbraArchiveItems(account);
  const items: Record<string, number> = {};
  const report: ApplyAccountReport = {
    ...emptyReport(account),
    contactsNotApplied: 0,
    items,
    notApplied: plan.left,
  };
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.tmp`;
  const gzip = createGzip();
  const written = pipeline(gzip, createWriteStream(temporary, { mode: 0o600 }));
  const tar = new TarWriter(gzip);
  try {
    for (const item of plan.items) {
      const source = item.body;
      let body: Buffer | undefined;
      if (source && 'bytes' in source) body = source.bytes;
      else if (source) {
        body = await checkedBody(report, item.kind, item.data.id, () =>
          bundle.file(`${accountDir(index)}/${source.file}`, source.sha256),
        );
        if (!body) continue;
      }
      const data = body && item.data.blobDigest ? { ...item.data, size: body.length } : item.data;
      const meta = encodeItemData(data);
      const entry = {
        mtimeMs: data.date,
        groupName: ITEM_TYPE_NAME[data.type] ?? 'unknown',
        devMajor: data.type,
      };
      // The formatter clears the owner's write bit of an unread message's .meta entry.
      await tar.add(
        {
          ...entry,
          path: `${item.path}.meta`,
          size: meta.length,
          mode: data.unread ? FILE_MODE & ~0o200 : FILE_MODE,
        },
        meta,
      );
      if (body) await tar.add({ ...entry, path: item.path, size: body.length }, body);
      items[item.kind] = (items[item.kind] ?? 0) + 1;
      if (item.kind === 'folder') report.folders++;
      if (item.kind === 'message' && body) {
        report.appended++;
        report.bytes += body.length;
        options.onMessage?.(body.length);
      }
    }
    await tar.end();
    await written;
    renameSync(temporary, file);
  } catch (error) {
    gzip.destroy();
    await written.catch(() => undefined);
    rmSync(temporary, { force: true });
    throw error;
  }
  return report;
}
