// Small redo logs for reader tests, written with the writer the golden tests verify.
import { bufferSource } from '#core/redo/byte-source.ts';
import { encodeRecord } from '#core/redo/encode-record.ts';
import { encodeFileHeader } from '#core/redo/file-header.ts';
import { opCodeOf } from '#core/redo/op-codes.ts';
import { type ReadOptions, type RedoEvent, readRedo } from '#core/redo/redo-reader.ts';
import type { CreateMessageData, OpData, RecordHeader } from '#core/redo/redo-record.ts';
import { LATEST_VERSION } from '#core/redo/version.ts';
import { seededRandom } from '#core/seeded-random.ts';

export const SERVER_ID = '0b7a9c1e-1111-4222-8333-944455556666';

export function fileHeaderBytes(open = false): Buffer {
  return encodeFileHeader({
    open,
    fileSize: 0,
    sequence: 1n,
    serverId: SERVER_ID,
    firstOpTime: 1700000000000,
    lastOpTime: 0,
    version: LATEST_VERSION,
    createTime: 1700000000000,
  });
}

export function recordHeader(
  data: OpData,
  txnCounter: number,
  mailboxId = 11,
  timestamp = 1700000000000,
): RecordHeader {
  return {
    version: LATEST_VERSION,
    opCode: opCodeOf(data.op) ?? -1,
    timestamp,
    changeId: txnCounter,
    changeConstraint: 0,
    txnId: { time: 1700000000, counter: txnCounter },
    mailboxId,
  };
}

/** `count` transactions of assorted ops, each followed by its CommitTxn; returns the encoded records. */
export function sampleRecords(count: number, seed = 1): Buffer[] {
  const random = seededRandom(seed);
  const out: Buffer[] = [];
  for (let i = 1; i <= count; i++) {
    const bodyBytes = Buffer.alloc(Math.floor(random() * 3000), `message ${i} `);
    const choices: OpData[] = [
      createMessageOp(i, bodyBytes),
      { op: 'MoveItem', ids: [256 + i], itemType: 5, destFolderId: 3, constraint: null, uidNext: -1 },
      {
        op: 'CreateFolder',
        name: `f${i}`,
        parentId: 1,
        attrs: 0,
        view: 5,
        flags: 0,
        color: 0,
        url: null,
        folderId: 256 + i,
        uuid: null,
        date: null,
        custom: null,
      },
      { op: 'EmptyFolder', folderId: 3, subfolders: false },
      {
        op: 'CreateContact',
        contactId: 256 + i,
        folderId: 7,
        tags: null,
        fields: [['email', `c${i}@example.com`]],
        body: { offset: 0, length: 3, bytes: Buffer.from('vcf') },
      },
    ];
    const data = choices[Math.floor(random() * choices.length)] as OpData;
    out.push(...committedTransaction(data, i));
  }
  return out;
}

/** Every event the reader gives for `bytes`. */
export async function readEvents(bytes: Buffer, options: ReadOptions = {}): Promise<RedoEvent[]> {
  const events: RedoEvent[] = [];
  for await (const e of readRedo(bufferSource(bytes), options)) events.push(plainEvent(e));
  return events;
}

/** The event with its record decoded into a plain object, so that comparisons see every field. */
export function plainEvent(e: RedoEvent): RedoEvent {
  if (e.kind !== 'record') return e;
  const { offset, length, header, data } = e.record;
  return { kind: 'record', record: { offset, length, header, data } };
}

/** A delivery as the server logs it: a CreateMessage with `body` inline, its ids derived from `i`. */
export function createMessageOp(i: number, body: Buffer, overrides: Partial<CreateMessageData> = {}): OpData {
  return {
    op: 'CreateMessage',
    rcptEmail: `user${i}@example.com`,
    receivedDate: 1700000000000 + i,
    shared: false,
    digest: `digest-${i}`,
    size: body.length,
    msgId: 256 + i,
    folderId: 2,
    convId: -1,
    convFirstMsgId: -1,
    mergedConvIds: [],
    calItemId: -1,
    partStat: null,
    flags: 0,
    noICal: false,
    tags: ['a', 'b'],
    path: `/tmp/${i}.msg`,
    custom: null,
    body: { type: 'inline', offset: 0, length: body.length, bytes: body },
    ...overrides,
  };
}

/** Transaction `i`: the encoded record of `data` and its CommitTxn. */
export function committedTransaction(data: OpData, i: number): Buffer[] {
  return [
    encodeRecord(recordHeader(data, i), data),
    encodeRecord(recordHeader({ op: 'CommitTxn', txnOpCode: opCodeOf(data.op) ?? -1 }, i), {
      op: 'CommitTxn',
      txnOpCode: opCodeOf(data.op) ?? -1,
    }),
  ];
}

const UUID = '7d2a1c3e-5b4f-4a6d-8e9f-0a1b2c3d4e5f';
const bytesOf = (text: string) => {
  const bytes = Buffer.from(text);
  return { offset: 0, length: bytes.length, bytes };
};
const invite = { timezone: 'tz', invite: 'd1:ai1ee' };
const calendarData = {
  ...invite,
  message: { receivedDate: 1700000000000, mime: bytesOf('BEGIN:VCALENDAR') },
};
const copies = [{ sourceId: 300, newId: 301, uuid: UUID }];
const documentOf = (i: number) => {
  const { op: _op, ...message } = createMessageOp(i, Buffer.from(`document ${i}`), {
    folderId: 16,
  }) as OpData & {
    op: 'CreateMessage';
  };
  return {
    ...message,
    filename: `f${i}.txt`,
    mimeType: 'text/plain',
    author: 'alice',
    itemType: 8,
    description: null,
    descriptionEnabled: true,
    uuid: UUID,
  };
};

/** One record of every op framed by layout (op-layouts.ts), with every field of the latest version set. */
export function everyLayoutOp(): OpData[] {
  const bounds = { x: 1, y: 2, width: 3, height: 4 };
  const volume = {
    volumeId: 1,
    volumeType: 1,
    name: 'message1',
    rootPath: '/opt/zimbra/store',
    mboxGroupBits: 8,
    mboxBits: 12,
    fileGroupBits: 8,
    fileBits: 12,
  };
  const { op: _chat, ...message } = createMessageOp(9, Buffer.from('chat')) as OpData & {
    op: 'CreateMessage';
  };
  return [
    { op: 'BackupMailbox', backupSetTime: 1, startTime: 2, endTime: 3, label: 'full-1' },
    { op: 'ReindexMailbox', completionId: 1, itemTypes: [5, 6], itemIds: [300], skipDelete: true },
    {
      op: 'CreateSavedSearch',
      searchId: 300,
      uuid: UUID,
      name: 'big',
      query: 'larger:1MB',
      types: 'message',
      sort: 'dateDesc',
      folderId: 1,
      flags: 0,
      color: 2,
    },
    { op: 'ModifySavedSearch', searchId: 300, query: 'larger:2MB', types: 'message', sort: 'dateAsc' },
    { op: 'RenameTag', tagId: 64, name: 'urgent' },
    { op: 'ColorItem', itemType: 5, color: 3, ids: [300, 301] },
    { op: 'IndexItem', itemId: 300, itemType: 5, deleteFirst: false },
    { op: 'CopyItem', itemType: 5, destFolderId: 2, copies, fromDumpster: false },
    {
      op: 'CreateFolderPath',
      path: '/a/b',
      attrs: 0,
      view: 5,
      flags: 0,
      color: 0,
      url: null,
      date: 1700000000000,
      custom: { key: 'k', value: 'v' },
      folders: [
        { id: 300, uuid: UUID },
        { id: 301, uuid: UUID },
      ],
    },
    { op: 'RenameFolderPath', folderId: 301, path: '/c/b', parentIds: [302] },
    { op: 'SetImapUid', uids: [{ itemId: 300, uid: 1001 }] },
    { op: 'CreateNote', noteId: 300, folderId: 12, content: 'note', color: 1, ...bounds },
    { op: 'EditNote', noteId: 300, content: 'edited' },
    { op: 'RepositionNote', noteId: 300, ...bounds },
    {
      op: 'CreateMountpoint',
      mountpointId: 300,
      uuid: UUID,
      name: 'Shared',
      ownerId: 'owner',
      remoteId: 2,
      remoteUuid: UUID,
      folderId: 1,
      view: 11,
      flags: 0,
      color: 0,
      reminderEnabled: false,
    },
    {
      op: 'CreateFileSharedWithMe',
      id: 0,
      uuid: null,
      name: 'plan.pdf',
      ownerId: 'owner',
      remoteId: 257,
      remoteUuid: UUID,
      folderId: 20,
      ownerName: 'Owner',
      contentType: 'application/pdf',
      rights: 'r',
    },
    { op: 'ModifyInviteFlag', calItemId: 400, componentNum: 0, flag: 1, add: true },
    {
      op: 'ModifyInvitePartStat',
      calItemId: 400,
      recurrence: null,
      cn: 'Bob',
      address: 'bob@example.com',
      cuType: 'INDIVIDUAL',
      role: 'REQ-PARTICIPANT',
      partStat: 'AC',
      rsvp: false,
      sequence: 1,
      dtStamp: 1700000000000,
    },
    { op: 'CreateVolume', ...volume, compressBlobs: true, storeType: 1, storeManager: 'FileBlobStore' },
    { op: 'ModifyVolume', ...volume },
    { op: 'DeleteVolume', volumeId: 2 },
    { op: 'SetCurrentVolume', volumeType: 1, volumeId: 1 },
    {
      op: 'CreateInvite',
      calItemId: 400,
      partStat: 'NE',
      folderId: 10,
      data: bytesOf('BEGIN:VCALENDAR'),
      ...invite,
      preserveExistingAlarms: false,
      discardExistingInvites: false,
      addRevision: true,
    },
    {
      op: 'SetCalendarItem',
      folderId: 10,
      calItemId: 400,
      partStat: 'AC',
      attachmentIndexing: false,
      flags: 0,
      tags: ['work'],
      defaultInvite: calendarData,
      exceptions: [{ ...invite, message: null }],
      replies: ['d1:bi2ee'],
      nextAlarm: 1700000060000,
    },
    { op: 'TrackSync' },
    { op: 'SetConfig', section: 'zwc', config: 'd1:ci3ee' },
    {
      op: 'GrantAccess',
      folderId: 10,
      grantee: 'bob@example.com',
      granteeType: 1,
      rights: 3,
      password: null,
      expiry: 0,
    },
    { op: 'RevokeAccess', folderId: 10, grantee: 'bob@example.com', dueToExpiry: false },
    { op: 'SetFolderUrl', folderId: 10, url: 'https://example.com/cal.ics' },
    { op: 'SetSubscriptionData', folderId: 10, lastItemDate: 1700000000000, lastItemGuid: 'guid' },
    { op: 'SetPermissions', folderId: 10, acl: 'd1:gi1ee' },
    { op: 'SaveWiki', wikiword: 'Home', ...documentOf(1) },
    { op: 'SaveDocument', ...documentOf(2) },
    { op: 'AddDocumentRevision', docId: 300, ...documentOf(3) },
    { op: 'TrackImap' },
    { op: 'ImapCopyItem', itemType: 5, destFolderId: 2, copies },
    { op: 'ICalReply', ...invite, sender: 'bob@example.com' },
    { op: 'FixCalendarItemTimeZone', calItemId: 400, after: 1700000000000, country: 'US' },
    { op: 'RenameItem', itemId: 300, folderId: 16, name: 'x.txt', itemType: 8, date: null },
    { op: 'RenameItemPath', itemId: 300, path: '/a/x.txt', parents: [{ id: 299, uuid: UUID }], itemType: 8 },
    { op: 'CreateChat', ...message },
    { op: 'SaveChat', imapId: 9, ...message },
    { op: 'DismissCalendarItemAlarm', calItemId: 400, dismissedAt: 1700000000000 },
    { op: 'FixCalendarItemEndTime', calItemId: 400 },
    { op: 'IndexDeferredItems', items: [{ id: 300, itemType: 5 }] },
    { op: 'FixCalendarItemTZ', calItemId: 400, replacements: [{ tzid: 'EST', timezone: 'd1:ti1ee' }] },
    { op: 'DateItem', itemId: 300, itemType: 5, date: 1700000000000 },
    { op: 'SetFolderDefaultView', folderId: 10, view: 11 },
    { op: 'SetCustomData', itemId: 300, itemType: 5, custom: { key: 'k', value: 'v' } },
    { op: 'LockItem', itemType: 8, accountId: 'acct', itemId: 300 },
    { op: 'UnlockItem', itemType: 8, accountId: 'acct', itemId: 300 },
    { op: 'PurgeRevision', itemId: 300, revision: 2, includeOlder: true },
    { op: 'DeleteItemFromDumpster', ids: [300] },
    { op: 'FixCalendarItemPriority', calItemId: 400 },
    { op: 'RecoverItem', itemType: 5, destFolderId: 2, copies, fromDumpster: true },
    { op: 'EnableSharedReminder', mountpointId: 300, enabled: true },
    { op: 'SnoozeCalendarItemAlarm', calItemId: 400, snoozeUntil: 1700000000000 },
    { op: 'CreateComment', commentId: 300, uuid: UUID, parentId: 299, creatorId: 'acct', text: 'ok' },
    { op: 'CreateLink', linkId: 300, uuid: UUID, name: 'l', ownerId: 'owner', remoteId: 2, folderId: 16 },
    { op: 'SetRetentionPolicy', itemType: 1, itemId: 10, keep: [], purge: [{ id: null, lifetime: '30d' }] },
    { op: 'RefreshMountpoint', mountpointId: 300, ownerId: 'owner', remoteId: 2 },
    { op: 'ExpireAccess', folderId: 10, grantee: 'bob@example.com', dueToExpiry: true },
    { op: 'SetDisableActiveSync', folderId: 10, disabled: true },
    { op: 'SetWebOfflineSyncDays', folderId: 10, days: 30 },
    { op: 'DeleteConfig', section: 'zwc' },
    { op: 'SetPop3Uid', itemId: 300, itemType: 5, uid: 'u300' },
  ];
}
