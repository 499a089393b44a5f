import { grantsOfAclValue, withoutDefaults } from '#core/index/apply-folder-op.ts';
import { ITEM_TYPE } from '#core/mail-item.ts';
import type { FolderState, RetentionRule } from '#core/mail-snapshot.ts';
import { customOfMetadata } from '#core/scan/custom-data.ts';
import type { ScanFolder } from '#core/scan/scan-snapshot.ts';
import { decodeMetadataMap, type MetadataValue } from '#core/scan/zimbra-metadata.ts';

/** A folder-like row of `mail_item` (a folder, search folder or mountpoint), as the scan reads it. */
export interface FolderRow {
  id: number;
  type: number;
  name: string | null;
  parentId: number | null;
  metadata: string | null;
}

/**
 * A folder row as a scan line: name and parent from the columns, the rest from its metadata as Folder,
 * SearchFolder and Mountpoint encode it (`vt` view, `c` color, `url`, `aclm` shares, `rp` retention policy,
 * `das` hidden from ActiveSync, `wosd` web offline days; `q`/`t`/`s` a search; `aid`/`id`/`ruuid`/`rem` a
 * mountpoint). Metadata that does not decode leaves a plain folder and a problem
 * (the folder is still restorable, its attributes are not).
 */
export function folderOfRow(row: FolderRow): { folder: ScanFolder; problem?: string } {
  const base: FolderState = { name: row.name ?? '', parentId: row.parentId ?? row.id };
  let meta: Record<string, MetadataValue> = {};
  let problem: string | undefined;
  try {
    meta = decodeMetadataMap(row.metadata);
  } catch (error) {
    problem = `folder ${row.id}: its metadata does not decode (${(error as Error).message}); kept without its attributes`;
  }
  const text = (v: MetadataValue | undefined) => (typeof v === 'string' ? v : undefined);
  const num = (v: MetadataValue | undefined) =>
    typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : undefined;
  const state: FolderState = { ...base };
  const view = num(meta.vt);
  const color = num(meta.c);
  const url = text(meta.url);
  if (view !== undefined) state.view = view;
  if (color !== undefined) state.color = color;
  if (url) state.url = url;
  if (meta.aclm !== undefined) state.grants = grantsOfAclValue(meta.aclm);
  if (isMap(meta.rp)) state.retention = { keep: rulesOf(meta.rp.keep), purge: rulesOf(meta.rp.purge) };
  // A boolean is written as its text (BEncoding has no booleans).
  if (String(meta.das).toLowerCase() === 'true' || meta.das === 1) state.activeSyncDisabled = true;
  const days = num(meta.wosd);
  if (days !== undefined) state.webOfflineSyncDays = days;
  const custom = customOfMetadata(meta);
  if (custom) state.custom = custom;
  if (row.type === ITEM_TYPE.searchFolder)
    state.search = { query: text(meta.q) ?? '', types: text(meta.t) ?? '', sort: text(meta.s) ?? '' };
  if (row.type === ITEM_TYPE.mountpoint) {
    const remoteUuid = text(meta.ruuid);
    const reminder = meta.rem === 1 || meta.rem === '1' || meta.rem === 'true' || meta.rem === 'TRUE';
    state.mount = {
      ownerId: text(meta.aid) ?? '',
      remoteId: num(meta.id) ?? 0,
      ...(remoteUuid ? { remoteUuid } : {}),
      ...(reminder ? { reminder: true } : {}),
    };
  }
  return {
    folder: { type: 'folder', id: row.id, ...withoutDefaults(state) },
    ...(problem ? { problem } : {}),
  };
}

function isMap(v: MetadataValue | undefined): v is { [key: string]: MetadataValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Policies as RetentionPolicyManager writes them for a mailbox: a system policy's `id`, or a `lifetime`. */
function rulesOf(list: MetadataValue | undefined): RetentionRule[] {
  if (!Array.isArray(list)) return [];
  return list
    .filter(isMap)
    .map((p) =>
      typeof p.id === 'string'
        ? { id: p.id }
        : { lifetime: typeof p.lifetime === 'string' ? p.lifetime : '' },
    );
}
