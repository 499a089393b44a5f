// Golden records of the ops framed by layout (core/redo/op-layouts.ts), each written as commented hex from
// the op's serializeData/deserializeData in the public server source, one per version branch that changes
// the bytes. The attack the exact framing closes is at the end.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeRecord } from '#core/redo/encode-record.ts';
import type { OpData } from '#core/redo/redo-record.ts';
import { LATEST_VERSION } from '#core/redo/version.ts';
import { checkGolden, type Golden, header, headerHex, TS } from '#test/support/golden-record.ts';
import { hex, intHex, strHex } from '#test/support/hex.ts';
import { createMessageOp, readEvents } from '#test/support/redo-fixtures.ts';

const UUID = '7d2a1c3e-5b4f-4a6d-8e9f-0a1b2c3d4e5f';
/** Where a raw region starts: after the file header, the record header and `before` (hex) of data. */
const at = (before: string, headerBytes = 46) => 512 + headerBytes + hex(before).length;
const raw = (before: string, bytes: Buffer, headerBytes = 46) => ({
  offset: at(before, headerBytes),
  length: bytes.length,
  bytes,
});
const mime = Buffer.from('BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n');
const doc = Buffer.from('%PDF-1.4 a Briefcase file\n');

const inviteBefore = `00000190 ${strHex('AC')} 0000000a ffff 01`;
const calendarBefore = `0000000a ffff 00000190 ${strHex('AC')} 00 00000000 00000000 01 01 ${strHex('tz')} ${strHex('inv')} 01 ${intHex(TS, 8)}`;
const documentFields = `${strHex('report.pdf')} ${strHex('application/pdf')} ${strHex('alice')} 08 ${strHex('Q3')} 01 ${strHex(UUID)}`;
const documentMessage = createMessageOp(1, doc, { folderId: 16, tags: [], digest: 'd', path: null });

/** A file another account shares, as CreateFileSharedWithMe carries it. */
const sharedFile = {
  op: 'CreateFileSharedWithMe',
  id: 0,
  uuid: null,
  name: 'plan.pdf',
  ownerId: 'owner-id',
  remoteId: 257,
  remoteUuid: UUID,
  folderId: 20,
  ownerName: 'Ann Owner',
  contentType: 'application/pdf',
  rights: 'r',
} as const satisfies OpData;

const GOLDEN: Golden[] = [
  {
    name: 'CopyItem 1.42 (list form, uuid, from the dumpster: no)',
    opCode: 22,
    version: [1, 42],
    data: `ffffffff ffffffff 05 00000002 ffff // no single pair; message; to Inbox
           00000001 0000012c 0000012d ${strHex(UUID)} // 300 → 301
           00 // fromDumpster`,
    expected: {
      op: 'CopyItem',
      itemType: 5,
      destFolderId: 2,
      copies: [{ sourceId: 300, newId: 301, uuid: UUID }],
      fromDumpster: false,
    },
  },
  {
    name: 'CopyItem 1.29 (old single pair, no list, no dumpster flag)',
    opCode: 22,
    version: [1, 29],
    data: `0000012c 0000012d 05 00000002 ffff`,
    expected: { op: 'CopyItem', itemType: 5, destFolderId: 2, copies: [{ sourceId: 300, newId: 301 }] },
    legacyIds: 'our writer writes the list form',
  },
  {
    name: 'CopyItem 1.36 (list form, no uuid)',
    opCode: 22,
    version: [1, 36],
    data: `ffffffff ffffffff 05 00000002 ffff 00000002 0000012c 0000012d 0000012e 0000012f 00`,
    expected: {
      op: 'CopyItem',
      itemType: 5,
      destFolderId: 2,
      copies: [
        { sourceId: 300, newId: 301 },
        { sourceId: 302, newId: 303 },
      ],
      fromDumpster: false,
    },
  },
  {
    name: 'RecoverItem 1.42 (CopyItem layout, from the dumpster)',
    opCode: 79,
    version: [1, 42],
    data: `ffffffff ffffffff 05 00000002 ffff 00000001 0000012c 0000012d ${strHex(UUID)} 01`,
    expected: {
      op: 'RecoverItem',
      itemType: 5,
      destFolderId: 2,
      copies: [{ sourceId: 300, newId: 301, uuid: UUID }],
      fromDumpster: true,
    },
  },
  {
    name: 'ImapCopyItem 1.42 (an unused int per copy, uuid)',
    opCode: 56,
    version: [1, 42],
    data: `05 00000002 ffff 00000001 0000012c 0000012d ffffffff ${strHex(UUID)}`,
    expected: {
      op: 'ImapCopyItem',
      itemType: 5,
      destFolderId: 2,
      copies: [{ sourceId: 300, newId: 301, uuid: UUID }],
    },
  },
  {
    name: 'ImapCopyItem 1.36 (no uuid)',
    opCode: 56,
    version: [1, 36],
    data: `05 00000002 ffff 00000001 0000012c 0000012d ffffffff`,
    expected: { op: 'ImapCopyItem', itemType: 5, destFolderId: 2, copies: [{ sourceId: 300, newId: 301 }] },
  },
  {
    name: 'RenameTag',
    opCode: 15,
    version: [1, 42],
    data: `00000040 ${strHex('urgent')}`,
    expected: { op: 'RenameTag', tagId: 64, name: 'urgent' },
  },
  {
    name: 'ColorItem 1.42 (list of ids, 64-bit color)',
    opCode: 16,
    version: [1, 42],
    data: `ffffffff 05 0000000000ff8000 00000002 0000012c 0000012d`,
    expected: { op: 'ColorItem', itemType: 5, color: 0xff8000, ids: [300, 301] },
  },
  {
    name: 'ColorItem 1.26 (one id, color byte)',
    opCode: 16,
    version: [1, 26],
    data: `0000012c 05 03`,
    expected: { op: 'ColorItem', itemType: 5, color: 3, ids: [300] },
    legacyIds: 'our writer writes the list form',
  },
  {
    name: 'SetImapUid',
    opCode: 29,
    version: [1, 42],
    data: `00000001 0000012c 000003e9`,
    expected: { op: 'SetImapUid', uids: [{ itemId: 300, uid: 1001 }] },
  },
  {
    name: 'RenameItem 1.42 (with a date)',
    opCode: 61,
    version: [1, 42],
    data: `0000012c 00000010 ${strHex('report.pdf')} 08 01 ${intHex(TS, 8)}`,
    expected: { op: 'RenameItem', itemId: 300, folderId: 16, name: 'report.pdf', itemType: 8, date: TS },
  },
  {
    name: 'RenameItem 1.39 (no date field)',
    opCode: 61,
    version: [1, 39],
    data: `0000012c 00000010 ${strHex('report.pdf')} 08`,
    expected: { op: 'RenameItem', itemId: 300, folderId: 16, name: 'report.pdf', itemType: 8 },
  },
  {
    name: 'RenameItemPath 1.42 (parents with uuids, then the type)',
    opCode: 62,
    version: [1, 42],
    data: `0000012c ${strHex('/Briefcase/a/x.txt')} 00000001 0000012b ${strHex(UUID)} 08`,
    expected: {
      op: 'RenameItemPath',
      itemId: 300,
      path: '/Briefcase/a/x.txt',
      parents: [{ id: 299, uuid: UUID }],
      itemType: 8,
    },
  },
  {
    name: 'CreateFolderPath 1.42 (no date, no custom metadata, two folders)',
    opCode: 23,
    version: [1, 42],
    data: `${strHex('/Inbox/a/b')} 00 05 00000000 0000000000000000 ffffffff // path attrs view flags color url
           00 ffffffff // no date; no custom section
           00000002 0000012c ${strHex(UUID)} 0000012d ${strHex(UUID)}`,
    expected: {
      op: 'CreateFolderPath',
      path: '/Inbox/a/b',
      attrs: 0,
      view: 5,
      flags: 0,
      color: 0,
      url: null,
      date: null,
      custom: null,
      folders: [
        { id: 300, uuid: UUID },
        { id: 301, uuid: UUID },
      ],
    },
  },
  {
    name: 'CreateFolderPath 1.36 (no date or custom before 1.41, no uuids before 1.37)',
    opCode: 23,
    version: [1, 36],
    data: `${strHex('/a')} 00 05 00000000 0000000000000000 ffffffff 00000001 0000012c`,
    expected: {
      op: 'CreateFolderPath',
      path: '/a',
      attrs: 0,
      view: 5,
      flags: 0,
      color: 0,
      url: null,
      folders: [{ id: 300 }],
    },
  },
  {
    name: 'RenameFolderPath',
    opCode: 24,
    version: [1, 42],
    data: `0000012c ${strHex('/x/y')} 00000001 0000012b`,
    expected: { op: 'RenameFolderPath', folderId: 300, path: '/x/y', parentIds: [299] },
  },
  {
    name: 'DeleteItemFromDumpster',
    opCode: 77,
    version: [1, 42],
    data: `00000002 0000012c 0000012d`,
    expected: { op: 'DeleteItemFromDumpster', ids: [300, 301] },
  },
  {
    name: 'SaveDocument 1.42 (document fields, then CreateMessage with the file inline)',
    opCode: 53,
    version: [1, 42],
    data: `${documentFields} ${strHex('user1@example.com')} ${intHex(1700000000001, 8)} 00 ${strHex('d')}
           ${intHex(doc.length, 8)} 00000101 00000010 ffffffff ffffffff 00000000 ffffffff ffffffff
           00000000 00 00000000 ffffffff ffff ffffffff 01 ${intHex(doc.length, 4)} ${doc.toString('hex')}`,
    expected: {
      ...(documentMessage as Omit<OpData & { op: 'CreateMessage' }, 'op'>),
      op: 'SaveDocument',
      filename: 'report.pdf',
      mimeType: 'application/pdf',
      author: 'alice',
      itemType: 8,
      description: 'Q3',
      descriptionEnabled: true,
      uuid: UUID,
      partStat: null,
    } as OpData,
  },
  {
    name: 'CreateInvite 1.42 (calendar MIME, time zone and invite metadata, three flags)',
    opCode: 43,
    version: [1, 42],
    data: `${inviteBefore} ${intHex(mime.length, 4)} ${mime.toString('hex')} ${strHex('tz')} ${strHex('inv')} 01 00 01`,
    expected: {
      op: 'CreateInvite',
      calItemId: 400,
      partStat: 'AC',
      folderId: 10,
      data: raw(`${inviteBefore} 00000000`, mime),
      timezone: 'tz',
      invite: 'inv',
      preserveExistingAlarms: true,
      discardExistingInvites: false,
      addRevision: true,
    },
  },
  {
    name: 'SetCalendarItem 1.42 (default invite with its MIME, no exceptions, no replies list, next alarm)',
    opCode: 44,
    version: [1, 42],
    data: `${calendarBefore} ${intHex(mime.length, 4)} ${mime.toString('hex')} 00000000 ffffffff ${intHex(TS + 60000, 8)}`,
    expected: {
      op: 'SetCalendarItem',
      folderId: 10,
      calItemId: 400,
      partStat: 'AC',
      attachmentIndexing: false,
      flags: 0,
      tags: [],
      defaultInvite: {
        timezone: 'tz',
        invite: 'inv',
        message: { receivedDate: TS, mime: raw(`${calendarBefore} 00000000`, mime) },
      },
      exceptions: [],
      replies: null,
      nextAlarm: TS + 60000,
    },
  },
  {
    name: 'SetCalendarItem 1.20 (tag bitmask, always a default invite with MIME, replies, no next alarm)',
    opCode: 44,
    version: [1, 20],
    mailboxId: 11,
    data: `0000000a ffff 00000190 ${strHex('AC')} 00 00000001 0000000000000004 // folder, calItem, partStat, attach, flags, tag mask
           01 01 ${strHex('tz')} ${strHex('inv')} ${intHex(TS, 8)} ${intHex(mime.length, 4)} ${mime.toString('hex')} // has a default invite
           00000000 00000001 ${strHex('reply')}`,
    expected: {
      op: 'SetCalendarItem',
      folderId: 10,
      calItemId: 400,
      partStat: 'AC',
      attachmentIndexing: false,
      flags: 1,
      tags: '4',
      defaultInvite: {
        timezone: 'tz',
        invite: 'inv',
        message: {
          receivedDate: TS,
          mime: raw(
            `0000000a ffff 00000190 ${strHex('AC')} 00 00000001 0000000000000004 01 01 ${strHex('tz')} ${strHex('inv')} ${intHex(TS, 8)} 00000000`,
            mime,
            42,
          ),
        },
      },
      exceptions: [],
      replies: ['reply'],
    },
  },
  {
    name: 'GrantAccess 1.42 (password and expiry)',
    opCode: 47,
    version: [1, 42],
    data: `0000000a ${strHex('bob@example.com')} 01 0003 01 ${strHex('secret')} ${intHex(TS, 8)}`,
    expected: {
      op: 'GrantAccess',
      folderId: 10,
      grantee: 'bob@example.com',
      granteeType: 1,
      rights: 3,
      password: 'secret',
      expiry: TS,
    },
  },
  {
    name: 'GrantAccess 1.1 (neither password nor expiry)',
    opCode: 47,
    version: [1, 1],
    data: `0000000a ${strHex('bob@example.com')} 01 0003 01`,
    expected: { op: 'GrantAccess', folderId: 10, grantee: 'bob@example.com', granteeType: 1, rights: 3 },
  },
  {
    name: 'RevokeAccess 1.38 (no expiry flag)',
    opCode: 48,
    version: [1, 38],
    data: `0000000a ${strHex('bob@example.com')}`,
    expected: { op: 'RevokeAccess', folderId: 10, grantee: 'bob@example.com' },
  },
  {
    name: 'ExpireAccess (RevokeAccess written for an expired grant)',
    opCode: 90,
    version: [1, 42],
    data: `0000000a ${strHex('bob@example.com')} 01`,
    expected: { op: 'ExpireAccess', folderId: 10, grantee: 'bob@example.com', dueToExpiry: true },
  },
  {
    name: 'SetRetentionPolicy (a system keep policy, a user purge policy)',
    opCode: 86,
    version: [1, 42],
    data: `01 0000000a 00000001 ${strHex('p1')} ffffffff 00000001 ffffffff ${strHex('30d')}`,
    expected: {
      op: 'SetRetentionPolicy',
      itemType: 1,
      itemId: 10,
      keep: [{ id: 'p1', lifetime: null }],
      purge: [{ id: null, lifetime: '30d' }],
    },
  },
  {
    name: 'CreateMountpoint 1.42 (uuid, remote uuid, reminder)',
    opCode: 35,
    version: [1, 42],
    data: `0000012c ${strHex(UUID)} ${strHex('Shared')} ${strHex('owner-id')} 00000002 ${strHex(UUID)} 00000001 0b 00000000 0000000000000004 01`,
    expected: {
      op: 'CreateMountpoint',
      mountpointId: 300,
      uuid: UUID,
      name: 'Shared',
      ownerId: 'owner-id',
      remoteId: 2,
      remoteUuid: UUID,
      folderId: 1,
      view: 11,
      flags: 0,
      color: 4,
      reminderEnabled: true,
    },
  },
  {
    name: 'CreateMountpoint 1.26 (no uuids, color byte, no reminder)',
    opCode: 35,
    version: [1, 26],
    data: `0000012c ${strHex('Shared')} ${strHex('owner-id')} 00000002 00000001 0b 00000000 04`,
    expected: {
      op: 'CreateMountpoint',
      mountpointId: 300,
      name: 'Shared',
      ownerId: 'owner-id',
      remoteId: 2,
      folderId: 1,
      view: 11,
      flags: 0,
      color: 4,
    },
  },
  {
    name: "CreateFileSharedWithMe under CreateMountpoint's code 35 (item id 0: never set)",
    opCode: 35,
    version: [1, 42],
    data: `00000000 ffffffff ${strHex('plan.pdf')} ${strHex('owner-id')} 00000101 ${strHex(UUID)} 00000014
           ${strHex('Ann Owner')} ${strHex('application/pdf')} ${strHex('r')}`,
    expected: sharedFile,
  },
  {
    name: 'CreateFileSharedWithMe of an update or removal (only the remote uuid)',
    opCode: 35,
    version: [1, 42],
    data: `00000000 ffffffff ffffffff ffffffff 00000000 ${strHex(UUID)} 00000000 ffffffff ffffffff ffffffff`,
    expected: {
      op: 'CreateFileSharedWithMe',
      id: 0,
      uuid: null,
      name: null,
      ownerId: null,
      remoteId: 0,
      remoteUuid: UUID,
      folderId: 0,
      ownerName: null,
      contentType: null,
      rights: null,
    },
  },
  {
    name: 'ReindexMailbox 1.42 (types, no id list, skip delete)',
    opCode: 10,
    version: [1, 42],
    data: `00000007 01 00000001 05 00 00`,
    expected: { op: 'ReindexMailbox', completionId: 7, itemTypes: [5], itemIds: null, skipDelete: false },
  },
  {
    name: 'ReindexMailbox 1.8 (no data)',
    opCode: 10,
    version: [1, 8],
    mailboxId: 11,
    data: '',
    expected: { op: 'ReindexMailbox' },
  },
  {
    name: 'IndexDeferredItems (ids, then their types)',
    opCode: 68,
    version: [1, 42],
    data: `00000002 0000012c 0000012d 05 08`,
    expected: {
      op: 'IndexDeferredItems',
      items: [
        { id: 300, itemType: 5 },
        { id: 301, itemType: 8 },
      ],
    },
  },
  {
    name: 'ModifyInvitePartStat (with a recurrence id)',
    opCode: 37,
    version: [1, 42],
    data: `00000190 01 00000000 ${strHex('20261205T100000Z')} ${strHex('Bob')} ${strHex('bob@example.com')} ${strHex('INDIVIDUAL')} ${strHex('REQ-PARTICIPANT')} ${strHex('AC')} 01 00000002 ${intHex(TS, 8)}`,
    expected: {
      op: 'ModifyInvitePartStat',
      calItemId: 400,
      recurrence: { range: 0, recurrenceId: '20261205T100000Z' },
      cn: 'Bob',
      address: 'bob@example.com',
      cuType: 'INDIVIDUAL',
      role: 'REQ-PARTICIPANT',
      partStat: 'AC',
      rsvp: true,
      sequence: 2,
      dtStamp: TS,
    },
  },
  {
    name: 'CreateNote 1.26 (color byte)',
    opCode: 32,
    version: [1, 26],
    data: `0000012c 0000000c ffff ${strHex('call Bob')} 02 00000001 00000002 00000003 00000004`,
    expected: {
      op: 'CreateNote',
      noteId: 300,
      folderId: 12,
      content: 'call Bob',
      color: 2,
      x: 1,
      y: 2,
      width: 3,
      height: 4,
    },
  },
  {
    name: 'SetCustomData',
    opCode: 73,
    version: [1, 42],
    data: `0000012c 05 ${strHex('ext')} ${strHex('d1:ai1ee')}`,
    expected: { op: 'SetCustomData', itemId: 300, itemType: 5, custom: { key: 'ext', value: 'd1:ai1ee' } },
  },
  {
    name: 'SetPop3Uid',
    opCode: 95,
    version: [1, 42],
    data: `0000012c 05 ${strHex('uid-300')}`,
    expected: { op: 'SetPop3Uid', itemId: 300, itemType: 5, uid: 'uid-300' },
  },
  {
    name: 'UnlockItem (LockItem layout)',
    opCode: 75,
    version: [1, 42],
    data: `08 ${strHex('acct-1')} 0000012c`,
    expected: { op: 'UnlockItem', itemType: 8, accountId: 'acct-1', itemId: 300 },
  },
  {
    name: 'TrackSync (no data)',
    opCode: 45,
    version: [1, 42],
    data: '',
    expected: { op: 'TrackSync' },
  },
];

describe('golden redo records of every other op', () => {
  for (const g of GOLDEN) it(g.name, () => checkGolden(g));
});

describe('framing never guesses inside a known record', () => {
  // A committed DeleteItem of another mailbox's message, as a mail user could upload it to Briefcase.
  const victimMailbox = 99;
  const deleteRecord = encodeRecord(
    { ...header(21, 1, 42, victimMailbox), txnId: { time: 1, counter: 1 } },
    { op: 'DeleteItem', ids: [257], itemType: 5, constraint: null },
  );
  const commitRecord = encodeRecord(
    { ...header(3, 1, 42, victimMailbox), txnId: { time: 1, counter: 1 } },
    { op: 'CommitTxn', txnOpCode: 21 },
  );
  for (const [what, file] of [
    ['exactly two records', Buffer.concat([deleteRecord, commitRecord])],
    ['two records and a few bytes more', Buffer.concat([deleteRecord, commitRecord, Buffer.from('xyz')])],
    ['bytes, then the records', Buffer.concat([Buffer.from('PK\u0003\u0004'), deleteRecord, commitRecord])],
  ] as const) {
    it(`a Briefcase file holding ${what} is one SaveDocument, nothing more`, async () => {
      const save: OpData = {
        ...(createMessageOp(5, file, { folderId: 16 }) as Omit<OpData & { op: 'CreateMessage' }, 'op'>),
        op: 'SaveDocument',
        filename: 'invoice.pdf',
        mimeType: 'application/pdf',
        author: 'mallory',
        itemType: 8,
        description: null,
        descriptionEnabled: true,
        uuid: UUID,
      };
      const saveHeader = header(53, LATEST_VERSION.major, LATEST_VERSION.minor, 11);
      const bytes = Buffer.concat([
        encodeRecord(saveHeader, save),
        encodeRecord({ ...saveHeader, opCode: 3 }, { op: 'CommitTxn', txnOpCode: 53 }),
      ]);
      const events = await readEvents(bytes, { origin: 512, captureBodies: Number.POSITIVE_INFINITY });
      assert.deepEqual(
        events.map((e) => (e.kind === 'record' ? e.record.data.op : e.kind)),
        ['SaveDocument', 'CommitTxn', 'end'],
      );
      const first = events[0];
      assert.ok(first?.kind === 'record' && first.record.data.op === 'SaveDocument');
      assert.ok(first.record.data.body.type === 'inline' && first.record.data.body.bytes?.equals(file));
    });
  }
});

describe('two ops under one code', () => {
  it("a shared file's owner name holding a record framed as a mountpoint's tail is one CreateFileSharedWithMe", async () => {
    // Read with CreateMountpoint's layout, the owner name's bytes would end the record where a forged one
    // starts; the item id (0) says which op it is, so the forged record stays inside the name.
    const forged = encodeRecord(
      { ...header(21, 1, 42, 99), txnId: { time: 1, counter: 1 } },
      { op: 'DeleteItem', ids: [257], itemType: 5, constraint: null },
    );
    const ownerName = `${'\u0000'.repeat(10)}${forged.toString('latin1')}`;
    const shared: OpData = { ...sharedFile, ownerName };
    const sharedHeader = header(35, 1, 42, 11);
    const bytes = Buffer.concat([
      encodeRecord(sharedHeader, shared),
      encodeRecord({ ...sharedHeader, opCode: 3 }, { op: 'CommitTxn', txnOpCode: 35 }),
    ]);
    const events = await readEvents(bytes, { origin: 512 });
    assert.deepEqual(
      events.map((e) => (e.kind === 'record' ? e.record.data.op : e.kind)),
      ['CreateFileSharedWithMe', 'CommitTxn', 'end'],
    );
  });
});

describe('a record of an op the server writes, cut or damaged', () => {
  it('is reported with its header and position, and the reader goes on with the next record', async () => {
    const good = hex(`${headerHex(15, 1, 42, 11)} 00000040 ${strHex('urgent')}`);
    // A string length that runs past every byte there is: the data does not decode.
    const bad = hex(`${headerHex(15, 1, 42, 12)} 00000040 7fffffff 41`);
    const events = await readEvents(Buffer.concat([bad, good]), { origin: 512 });
    assert.deepEqual(
      events.map((e) => e.kind),
      ['unparsed', 'record', 'end'],
    );
    const [first] = events;
    assert.ok(first?.kind === 'unparsed');
    assert.deepEqual([first.offset, first.end, first.header?.mailboxId], [512, 512 + bad.length, 12]);
    assert.match(first.reason, /RenameTag does not decode: string length 2147483647 is invalid/);
  });
});
