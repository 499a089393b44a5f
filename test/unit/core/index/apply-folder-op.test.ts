import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aclOfGrants, grantsOfAcl } from '#core/index/apply-folder-op.ts';
import type { OpData } from '#core/redo/redo-record.ts';
import { MailStateReplayer } from '#core/redo/replay-mail-state.ts';
import { folderOfRow } from '#core/scan/folder-of-row.ts';
import { encodeMetadata } from '#core/scan/zimbra-metadata.ts';
import { applyOps } from '#test/support/replayed-ops.ts';

// Folder attributes, saved searches and mountpoints on their own, with what the workload does not make:
// a share replaced, an ACL set whole, defaults set back, a mountpoint refreshed.

const apply = applyOps;

const folders = (r: MailStateReplayer) => r.state.mailboxes['1']?.folders ?? {};

function withFolder(): MailStateReplayer {
  const r = new MailStateReplayer();
  apply(
    r,
    { op: 'CreateMailbox', accountId: 'acct-1' },
    {
      op: 'CreateFolder',
      name: 'Projects',
      parentId: 1,
      attrs: 0,
      view: 5,
      flags: 0,
      color: 0,
      url: '',
      folderId: 300,
      uuid: null,
      date: null,
      custom: null,
    },
  );
  return r;
}

describe('folder ops', () => {
  it('colors, views and subscriptions: kept, and absent again at their defaults', () => {
    const r = withFolder();
    assert.deepEqual(folders(r)['300'], { name: 'Projects', parentId: 1, view: 5 });
    apply(
      r,
      { op: 'ColorItem', ids: [300, 2], itemType: 1, color: 4 },
      { op: 'SetFolderDefaultView', folderId: 300, view: 11 },
      { op: 'SetFolderUrl', folderId: 300, url: 'webcal://cal.example.net/team.ics' },
      { op: 'RenameFolder', folderId: 300, parentId: 1, name: 'Team' },
    );
    assert.deepEqual(folders(r)['300'], {
      name: 'Team',
      parentId: 1,
      view: 11,
      color: 4,
      url: 'webcal://cal.example.net/team.ics',
    });
    assert.equal(folders(r)['2']?.color, 4, 'a system folder takes a color too');
    apply(
      r,
      { op: 'ColorItem', ids: [300], itemType: 1, color: 0 },
      { op: 'SetFolderUrl', folderId: 300, url: '' },
    );
    assert.deepEqual(folders(r)['300'], { name: 'Team', parentId: 1, view: 11 });
  });

  it('shares: granted, replaced for the same grantee, revoked, expired, and set whole by SetPermissions', () => {
    const r = withFolder();
    const grant = (grantee: string, rights: number): OpData => ({
      op: 'GrantAccess',
      folderId: 300,
      grantee,
      granteeType: 1,
      rights,
      password: null,
      expiry: 0,
    });
    apply(r, grant('bbb', 1), grant('aaa', 1), grant('bbb', 31));
    assert.deepEqual(folders(r)['300']?.grants, [
      { grantee: 'aaa', type: 1, rights: 1 },
      { grantee: 'bbb', type: 1, rights: 31 },
    ]);
    apply(r, { op: 'RevokeAccess', folderId: 300, grantee: 'aaa', dueToExpiry: false });
    apply(r, { op: 'ExpireAccess', folderId: 300, grantee: 'bbb', dueToExpiry: true });
    assert.equal(folders(r)['300']?.grants, undefined);
    const acl = encodeMetadata(
      aclOfGrants([
        { grantee: 'ccc', type: 2, rights: 3 },
        { type: 6, rights: 1, expiry: 1_800_000_000_000 },
      ]),
    );
    apply(r, { op: 'SetPermissions', folderId: 300, acl });
    assert.deepEqual(folders(r)['300']?.grants, [
      { grantee: 'ccc', type: 2, rights: 3 },
      { type: 6, rights: 1, expiry: 1_800_000_000_000 },
    ]);
  });

  it('saved searches and mountpoints are folders: created, changed, moved and deleted like one', () => {
    const r = withFolder();
    apply(
      r,
      {
        op: 'CreateSavedSearch',
        searchId: 301,
        uuid: null,
        name: 'Unread',
        query: 'is:unread',
        types: 'message',
        sort: 'dateDesc',
        folderId: 1,
        flags: 0,
        color: 2,
      },
      {
        op: 'ModifySavedSearch',
        searchId: 301,
        query: 'is:unread in:inbox',
        types: 'conversation',
        sort: 'dateAsc',
      },
      {
        op: 'CreateMountpoint',
        mountpointId: 302,
        uuid: null,
        name: "Ann's calendar",
        ownerId: 'ann-id',
        remoteId: 10,
        remoteUuid: 'r-uuid',
        folderId: 300,
        view: 11,
        flags: 0,
        color: 0,
        reminderEnabled: false,
      },
      { op: 'EnableSharedReminder', mountpointId: 302, enabled: true },
      { op: 'RefreshMountpoint', mountpointId: 302, ownerId: 'ann-new-id', remoteId: 257 },
    );
    assert.deepEqual(folders(r)['301'], {
      name: 'Unread',
      parentId: 1,
      color: 2,
      search: { query: 'is:unread in:inbox', types: 'conversation', sort: 'dateAsc' },
    });
    assert.deepEqual(folders(r)['302'], {
      name: "Ann's calendar",
      parentId: 300,
      view: 11,
      mount: { ownerId: 'ann-new-id', remoteId: 257, remoteUuid: 'r-uuid', reminder: true },
    });
    apply(r, { op: 'DeleteItem', ids: [300], itemType: 1, constraint: null });
    assert.equal(folders(r)['302'], undefined, 'a mountpoint goes with the folder it is in');
    assert.ok(folders(r)['301']);
  });

  it('retention policies, ActiveSync hiding and offline days: kept, read back from metadata, and cleared', () => {
    const r = withFolder();
    apply(
      r,
      {
        op: 'SetRetentionPolicy',
        itemType: 1,
        itemId: 300,
        keep: [{ id: null, lifetime: '90d' }],
        purge: [{ id: 'policy-1', lifetime: null }],
      },
      { op: 'SetDisableActiveSync', folderId: 300, disabled: true },
      { op: 'SetWebOfflineSyncDays', folderId: 300, days: 0 },
      { op: 'SetRetentionPolicy', itemType: 3, itemId: 64, keep: [{ id: null, lifetime: '1d' }], purge: [] },
    );
    const set = folders(r)['300'];
    assert.deepEqual(set?.retention, { keep: [{ lifetime: '90d' }], purge: [{ id: 'policy-1' }] });
    assert.equal(set?.activeSyncDisabled, true);
    assert.equal(set?.webOfflineSyncDays, 0, 'zero days is a setting, not the default');
    assert.match(r.warnings.join('\n'), /retention policy of tag 64 is not kept/);
    // The row the server writes for that folder reads back the same.
    const meta = encodeMetadata({
      rp: { keep: [{ lifetime: '90d' }], purge: [{ id: 'policy-1' }] },
      das: 'true',
      wosd: 0,
      vt: 5,
    });
    const {
      type: _t,
      id: _i,
      ...read
    } = folderOfRow({
      id: 300,
      type: 1,
      name: set?.name ?? '',
      parentId: set?.parentId ?? 1,
      metadata: meta,
    }).folder;
    assert.deepEqual(read, set);
    apply(
      r,
      { op: 'SetRetentionPolicy', itemType: 1, itemId: 300, keep: [], purge: [] },
      { op: 'SetDisableActiveSync', folderId: 300, disabled: false },
    );
    assert.equal(folders(r)['300']?.retention, undefined);
    assert.equal(folders(r)['300']?.activeSyncDisabled, undefined);
  });

  it('a link (CreateLink) is a mountpoint, as the server stores it, and reads back from its row the same', () => {
    const r = withFolder();
    apply(r, {
      op: 'CreateLink',
      linkId: 310,
      uuid: null,
      name: 'Plans of Ann',
      ownerId: 'ann-id',
      remoteId: 42,
      folderId: 300,
    });
    const link = folders(r)['310'];
    assert.deepEqual(link, {
      name: 'Plans of Ann',
      parentId: 300,
      mount: { ownerId: 'ann-id', remoteId: 42 },
    });
    const {
      type: _t,
      id: _i,
      ...read
    } = folderOfRow({
      id: 310,
      type: 13,
      name: 'Plans of Ann',
      parentId: 300,
      metadata: encodeMetadata({ aid: 'ann-id', id: 42, das: 'false' }),
    }).folder;
    assert.deepEqual(read, link);
    apply(r, { op: 'DeleteItem', ids: [300], itemType: 1, constraint: null });
    assert.equal(folders(r)['310'], undefined, 'it goes with the folder it is in');
  });

  it('a folder row reads back from its metadata exactly as the ops made it', () => {
    const meta = encodeMetadata({
      vt: 11,
      c: 4,
      url: 'webcal://x',
      aclm: aclOfGrants([{ grantee: 'g', type: 1, rights: 1 }]),
      das: 0,
    });
    assert.deepEqual(folderOfRow({ id: 300, type: 1, name: 'Team', parentId: 1, metadata: meta }), {
      folder: {
        type: 'folder',
        id: 300,
        name: 'Team',
        parentId: 1,
        view: 11,
        color: 4,
        url: 'webcal://x',
        grants: [{ grantee: 'g', type: 1, rights: 1 }],
      },
    });
    const mount = encodeMetadata({ aid: 'ann', id: 10, ruuid: 'u', rem: 1, vt: 11 });
    assert.deepEqual(folderOfRow({ id: 302, type: 13, name: 'M', parentId: 1, metadata: mount }).folder, {
      type: 'folder',
      id: 302,
      name: 'M',
      parentId: 1,
      view: 11,
      mount: { ownerId: 'ann', remoteId: 10, remoteUuid: 'u', reminder: true },
    });
    const bad = folderOfRow({ id: 303, type: 1, name: 'B', parentId: 1, metadata: 'd3:vt' });
    assert.deepEqual(bad.folder, { type: 'folder', id: 303, name: 'B', parentId: 1 });
    assert.match(bad.problem ?? '', /folder 303: its metadata does not decode/);
  });

  it('guest passwords and access keys in an ACL are not kept', () => {
    const acl = encodeMetadata({
      g: [{ g: 'guest@example.net', t: 7, r: 1, a: 'secret', e: 0 }],
      ie: 0,
      ge: 0,
    });
    assert.deepEqual(grantsOfAcl(acl), [{ grantee: 'guest@example.net', type: 7, rights: 1 }]);
  });
});
