import type { EntityNeed, EntityView } from '#core/index/apply-transaction.ts';
import { type FolderEntity, itemKey } from '#core/index/index-entity.ts';
import { ITEM_TYPE } from '#core/mail-item.ts';
import type { FolderGrant, FolderState, RetentionRule } from '#core/mail-snapshot.ts';
import type { CustomData, OpData, RedoRecord } from '#core/redo/redo-record.ts';
import { withCustomSection } from '#core/scan/custom-data.ts';
import { decodeMetadata, type MetadataValue } from '#core/scan/zimbra-metadata.ts';

// Folder attributes (color, view, subscription URL, shares), saved searches and mountpoints: Zimbra keeps
// them on folder items (a search folder and a mountpoint are folders), and so does the index.

export const FOLDER_OPS = [
  'ColorItem',
  'SetFolderDefaultView',
  'SetFolderUrl',
  'GrantAccess',
  'RevokeAccess',
  'ExpireAccess',
  'SetPermissions',
  'CreateSavedSearch',
  'ModifySavedSearch',
  'CreateMountpoint',
  'EnableSharedReminder',
  'RefreshMountpoint',
  'SetRetentionPolicy',
  'SetDisableActiveSync',
  'SetWebOfflineSyncDays',
  'CreateLink',
] as const;

type FolderOp = Extract<OpData, { op: (typeof FOLDER_OPS)[number] }>;

export const isFolderOp = (data: OpData): data is FolderOp =>
  (FOLDER_OPS as readonly string[]).includes(data.op);

/** Type.UNKNOWN (−1) and the default color (0) are what a folder has when nothing was chosen. */
export function folderAttributes(a: {
  view?: number;
  color?: number;
  url?: string | null;
  custom?: CustomData | null;
}): Partial<FolderState> {
  const custom = a.custom ? withCustomSection(undefined, a.custom.key, a.custom.value) : undefined;
  return {
    ...(a.view !== undefined && a.view > 0 ? { view: a.view } : {}),
    ...(a.color !== undefined && a.color !== 0 ? { color: a.color } : {}),
    ...(a.url ? { url: a.url } : {}),
    ...(custom ? { custom } : {}),
  };
}

export function folderOpNeeds(mailboxId: number, data: FolderOp): EntityNeed[] {
  switch (data.op) {
    case 'ColorItem':
      return data.ids.map((id) => ({ mailboxId, key: itemKey(id) }));
    case 'CreateSavedSearch':
    case 'ModifySavedSearch':
      return [{ mailboxId, key: itemKey(data.searchId) }];
    case 'CreateMountpoint':
    case 'EnableSharedReminder':
    case 'RefreshMountpoint':
      return [{ mailboxId, key: itemKey(data.mountpointId) }];
    case 'SetRetentionPolicy':
      return [{ mailboxId, key: itemKey(data.itemId) }];
    case 'CreateLink':
      return [{ mailboxId, key: itemKey(data.linkId) }];
    default:
      return [{ mailboxId, key: itemKey(data.folderId) }];
  }
}

export function applyFolderOp(mailboxId: number, data: FolderOp, record: RedoRecord, view: EntityView): void {
  const folder = (id: number): FolderEntity | undefined => {
    const item = view.get(mailboxId, itemKey(id));
    if (item?.kind === 'folder') return item;
    view.warn(`${data.op} at ${record.offset}: item ${id} of mailbox ${mailboxId} is not a known folder`);
    return undefined;
  };
  const update = (id: number, change: (f: FolderEntity) => FolderEntity) => {
    const f = folder(id);
    if (f) view.set(mailboxId, itemKey(id), withoutDefaults(change(f)));
  };
  switch (data.op) {
    case 'ColorItem':
      for (const id of data.ids) {
        const item = view.get(mailboxId, itemKey(id));
        if (item?.kind === 'folder') update(id, (f) => ({ ...f, color: data.color }));
        else if (item?.kind === 'note') {
          const { color: _old, ...note } = item;
          view.set(mailboxId, itemKey(id), data.color === 0 ? note : { ...note, color: data.color });
        }
        // Colors of messages, contacts and tags are not kept by the index (nothing restores them yet).
        else if (item) view.warn(`ColorItem at ${record.offset}: the color of a ${item.kind} is not kept`);
      }
      return;
    case 'SetFolderDefaultView':
      update(data.folderId, (f) => ({ ...f, view: data.view }));
      return;
    case 'SetFolderUrl':
      update(data.folderId, (f) => ({ ...f, url: data.url ?? '' }));
      return;
    case 'GrantAccess': {
      const grant: FolderGrant = {
        ...(data.grantee ? { grantee: data.grantee } : {}),
        type: data.granteeType,
        rights: data.rights,
        ...(data.expiry ? { expiry: data.expiry } : {}),
      };
      update(data.folderId, (f) => ({
        ...f,
        grants: [...(f.grants ?? []).filter((g) => !sameGrantee(g, grant)), grant],
      }));
      return;
    }
    case 'RevokeAccess':
    case 'ExpireAccess':
      update(data.folderId, (f) => ({
        ...f,
        grants: (f.grants ?? []).filter((g) => (g.grantee ?? '') !== (data.grantee ?? '')),
      }));
      return;
    case 'SetPermissions':
      update(data.folderId, (f) => ({ ...f, grants: grantsOfAcl(data.acl ?? '') }));
      return;
    case 'CreateSavedSearch':
      view.set(
        mailboxId,
        itemKey(data.searchId),
        withoutDefaults<FolderEntity>({
          kind: 'folder',
          name: data.name ?? '',
          parentId: data.folderId,
          search: { query: data.query ?? '', types: data.types ?? '', sort: data.sort ?? '' },
          color: data.color,
        }),
      );
      return;
    case 'ModifySavedSearch':
      update(data.searchId, (f) => ({
        ...f,
        search: { query: data.query ?? '', types: data.types ?? '', sort: data.sort ?? '' },
      }));
      return;
    case 'CreateMountpoint':
      view.set(
        mailboxId,
        itemKey(data.mountpointId),
        withoutDefaults<FolderEntity>({
          kind: 'folder',
          name: data.name ?? '',
          parentId: data.folderId,
          mount: {
            ownerId: data.ownerId ?? '',
            remoteId: data.remoteId,
            ...(data.remoteUuid ? { remoteUuid: data.remoteUuid } : {}),
            ...(data.reminderEnabled ? { reminder: true } : {}),
          },
          view: data.view,
          color: data.color,
        }),
      );
      return;
    case 'RefreshMountpoint':
      // The share's owner or folder changed (the owner was renamed, the folder recreated): the mountpoint follows.
      update(data.mountpointId, (f) =>
        f.mount ? { ...f, mount: { ...f.mount, ownerId: data.ownerId ?? '', remoteId: data.remoteId } } : f,
      );
      return;
    case 'CreateLink':
      // A link to another account's item (Link.create): the server stores it as a mountpoint row, owner and
      // remote id in the same metadata, so it is one here too.
      view.set(
        mailboxId,
        itemKey(data.linkId),
        withoutDefaults<FolderEntity>({
          kind: 'folder',
          name: data.name ?? '',
          parentId: data.folderId,
          mount: { ownerId: data.ownerId ?? '', remoteId: data.remoteId },
        }),
      );
      return;
    case 'SetRetentionPolicy':
      // A tag's policy is not kept: the index keeps tags as names (nothing restores tag attributes yet).
      if (data.itemType === ITEM_TYPE.tag) {
        view.warn(
          `SetRetentionPolicy at ${record.offset}: the retention policy of tag ${data.itemId} is not kept`,
        );
        return;
      }
      update(data.itemId, (f) => ({
        ...f,
        retention: { keep: data.keep.map(retentionRule), purge: data.purge.map(retentionRule) },
      }));
      return;
    case 'SetDisableActiveSync':
      update(data.folderId, (f) => ({ ...f, activeSyncDisabled: data.disabled ? true : undefined }));
      return;
    case 'SetWebOfflineSyncDays':
      update(data.folderId, (f) => ({ ...f, webOfflineSyncDays: data.days }));
      return;
    case 'EnableSharedReminder':
      update(data.mountpointId, (f) => {
        if (!f.mount) return f;
        const { reminder: _r, ...mount } = f.mount;
        return { ...f, mount: data.enabled ? { ...mount, reminder: true } : mount };
      });
      return;
  }
}

const sameGrantee = (a: FolderGrant, b: FolderGrant) =>
  (a.grantee ?? '') === (b.grantee ?? '') && a.type === b.type;

/** A policy entry of a redo record: a system policy names its id, a user policy only a lifetime. */
const retentionRule = (p: { id: string | null; lifetime: string | null }): RetentionRule =>
  p.id ? { id: p.id } : { lifetime: p.lifetime ?? '' };

/** A folder as stored: defaults left out, grants in a stable order (none: no `grants`). */
export function withoutDefaults<F extends FolderState>(folder: F): F {
  const { view, color, url, grants, retention, activeSyncDisabled, webOfflineSyncDays, ...rest } = folder;
  const sorted = [...(grants ?? [])].sort(
    (a, b) => a.type - b.type || (a.grantee ?? '').localeCompare(b.grantee ?? ''),
  );
  return {
    ...rest,
    ...folderAttributes({
      ...(view !== undefined ? { view } : {}),
      ...(color !== undefined ? { color } : {}),
      url: url ?? null,
    }),
    ...(sorted.length > 0 ? { grants: sorted } : {}),
    ...(retention && retention.keep.length + retention.purge.length > 0 ? { retention } : {}),
    ...(activeSyncDisabled ? { activeSyncDisabled } : {}),
    ...(webOfflineSyncDays !== undefined && webOfflineSyncDays >= 0 ? { webOfflineSyncDays } : {}),
  } as F;
}

/**
 * The shares of an ACL as Zimbra encodes it in metadata (ACL.encode: `g` a list of grants, each with `g`
 * grantee, `t` type, `r` rights, `e` expiry; the display name `n`, which the redo record of a grant lacks, and
 * `a`/`k`, the guest password or access key, are left out).
 */
export function grantsOfAcl(text: string): FolderGrant[] {
  return text === '' ? [] : grantsOfAclValue(decodeMetadata(text));
}

/** The shares of an ACL already decoded (a folder's metadata holds it as a map under `aclm`). */
export function grantsOfAclValue(acl: MetadataValue): FolderGrant[] {
  const list = isMap(acl) ? acl.g : undefined;
  if (!Array.isArray(list)) return [];
  return list.filter(isMap).map((g) => ({
    ...(typeof g.g === 'string' && g.g !== '' ? { grantee: g.g } : {}),
    type: Number(g.t ?? 0),
    rights: Number(g.r ?? 0),
    ...(Number(g.e ?? 0) > 0 ? { expiry: Number(g.e) } : {}),
  }));
}

/** The metadata form of shares (the inverse of grantsOfAcl, without secrets). */
export function aclOfGrants(grants: readonly FolderGrant[]): MetadataValue {
  return {
    g: grants.map((g) => ({
      ...(g.grantee !== undefined ? { g: g.grantee } : {}),
      t: g.type,
      r: g.rights,
      e: g.expiry ?? 0,
    })),
    ie: 0,
    ge: 0,
  };
}

function isMap(v: MetadataValue | undefined): v is { [key: string]: MetadataValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
