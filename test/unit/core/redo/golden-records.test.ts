// Golden records built byte by byte from the format spec (shared/specs/zimbra-formats.md §2–3), written
// as commented hex without our writer. Each must decode to the expected fields, frame exactly (the next
// record starts right after), and our writer must produce the same bytes.
import { describe, it } from 'node:test';
import { checkGolden, type Golden, TS } from '#test/support/golden-record.ts';
import { hex, intHex, strHex } from '#test/support/hex.ts';

const body = Buffer.from('Subject: hi\r\n\r\nhello\r\n');
const gz = hex('1f8b0800000000000003cb48cdc9c9e70200 20303a36 06000000'); // gzip("hello\n")

const GOLDEN: Golden[] = [
  {
    name: 'Checkpoint with two active transactions',
    opCode: 1,
    version: [1, 42],
    mailboxId: -1,
    data: `00000002 // count
           6553f100 00000001  // txn 1
           6553f100 00000002  // txn 2`,
    expected: {
      op: 'Checkpoint',
      activeTxns: [
        { time: 1700000000, counter: 1 },
        { time: 1700000000, counter: 2 },
      ],
    },
  },
  {
    name: 'CommitTxn',
    opCode: 3,
    version: [1, 42],
    data: '0000001b // committed op: CreateMessage',
    expected: { op: 'CommitTxn', txnOpCode: 27 },
  },
  {
    name: 'AbortTxn',
    opCode: 4,
    version: [1, 42],
    data: '00000014 // aborted op: MoveItem',
    expected: { op: 'AbortTxn', txnOpCode: 20 },
  },
  {
    name: 'CreateMailbox',
    opCode: 7,
    version: [1, 42],
    data: `${strHex('0b2f7a5e-0000-4000-8000-000000000001')} // accountId`,
    expected: { op: 'CreateMailbox', accountId: '0b2f7a5e-0000-4000-8000-000000000001' },
  },
  {
    name: 'DeleteMailbox (no data)',
    opCode: 8,
    version: [1, 42],
    data: '',
    expected: { op: 'DeleteMailbox' },
  },
  {
    name: 'PurgeOldMessages (no data)',
    opCode: 11,
    version: [1, 42],
    data: '',
    expected: { op: 'PurgeOldMessages' },
  },
  {
    name: 'PurgeImapDeleted (no data)',
    opCode: 65,
    version: [1, 42],
    data: '',
    expected: { op: 'PurgeImapDeleted' },
  },
  {
    name: 'RenameMailbox 1.42 (new and old name)',
    opCode: 69,
    version: [1, 42],
    data: `${strHex('bob@new.example')} // new name
           ${strHex('bob@old.example')} // old name (≥1.25)`,
    expected: { op: 'RenameMailbox', newName: 'bob@new.example', oldName: 'bob@old.example' },
  },
  {
    name: 'RenameMailbox 1.24 (new name only)',
    opCode: 69,
    version: [1, 24],
    data: `${strHex('bob@new.example')} // new name`,
    expected: { op: 'RenameMailbox', newName: 'bob@new.example' },
  },
  {
    name: 'CreateFolder 1.42 (attrs, i64 color, uuid, date, custom metadata)',
    opCode: 58,
    version: [1, 42],
    data: `${strHex('Projects')}  // name
           00000001                // parent: root
           00                      // attrs (≥1.19)
           05                      // view: message
           00000000                // flags
           0000000000000004        // color i64 (≥1.27)
           ffffffff                // url: null
           00000100                // folderId 256
           ${strHex('a1b2c3d4-0000-4000-8000-00000000abcd')} // uuid (≥1.37)
           01 0000018bcfe5687b     // date present, i64 ms (≥1.40)
           ${strHex('zd')} ${strHex('d1:ai1ee')} // custom key, value (≥1.41)`,
    expected: {
      op: 'CreateFolder',
      name: 'Projects',
      parentId: 1,
      attrs: 0,
      view: 5,
      flags: 0,
      color: 4,
      url: null,
      folderId: 256,
      uuid: 'a1b2c3d4-0000-4000-8000-00000000abcd',
      date: TS,
      custom: { key: 'zd', value: 'd1:ai1ee' },
    },
  },
  {
    name: 'CreateFolder 1.39 (date as i32 seconds, no custom)',
    opCode: 58,
    version: [1, 39],
    data: `${strHex('Old')} 00000001 02 05 00000000 0000000000000000 ffffffff 00000101
           ${strHex('u')}          // uuid
           01 6553f100             // date present, i32 seconds (1.39)`,
    expected: {
      op: 'CreateFolder',
      name: 'Old',
      parentId: 1,
      attrs: 2,
      view: 5,
      flags: 0,
      color: 0,
      url: null,
      folderId: 257,
      uuid: 'u',
      date: 1700000000000,
    },
  },
  {
    name: 'CreateFolder 1.18 (no attrs, i8 color, no uuid or date)',
    opCode: 58,
    version: [1, 18],
    data: `${strHex('Older')} 00000002 // name, parent inbox
           05 00000000 07              // view, flags, color i8
           ${strHex('')} 00000102      // url "", folderId 258`,
    expected: {
      op: 'CreateFolder',
      name: 'Older',
      parentId: 2,
      view: 5,
      flags: 0,
      color: 7,
      url: '',
      folderId: 258,
    },
  },
  {
    name: 'RenameFolder',
    opCode: 59,
    version: [1, 42],
    data: `00000100 // folder id
           00000002 // new parent: inbox
           ${strHex('Projets été')} // new name (UTF-8)`,
    expected: { op: 'RenameFolder', folderId: 256, parentId: 2, name: 'Projets été' },
  },
  {
    name: 'CreateTag 1.42',
    opCode: 14,
    version: [1, 42],
    data: `00000040 ${strHex('urgent')} 0000000001ff0000 // id 64, name, color i64 (custom RGB)`,
    expected: { op: 'CreateTag', tagId: 64, name: 'urgent', color: 0x1ff0000 },
  },
  {
    name: 'CreateTag 1.26 (i8 color)',
    opCode: 14,
    version: [1, 26],
    data: `00000041 ${strHex('later')} 03`,
    expected: { op: 'CreateTag', tagId: 65, name: 'later', color: 3 },
  },
  {
    name: 'MoveItem 1.42 (id list, constraint, uidNext)',
    opCode: 20,
    version: [1, 42],
    data: `ffffffff          // legacy id −1: list follows
           05                // type message
           00000003          // destination: Trash
           01 ${strHex('-t')} // constraint present
           00000002 00000101 00000102 // ids 257, 258
           00000010          // uidNext (≥1.16)`,
    expected: {
      op: 'MoveItem',
      ids: [257, 258],
      itemType: 5,
      destFolderId: 3,
      constraint: '-t',
      uidNext: 16,
    },
  },
  {
    name: 'MoveItem 1.15 (legacy single id, no uidNext)',
    opCode: 20,
    version: [1, 15],
    data: `00000101 05 00000002 00 // id 257, message, to inbox, no constraint`,
    legacyIds: 'old writers put a single id in the legacy slot',
    expected: { op: 'MoveItem', ids: [257], itemType: 5, destFolderId: 2, constraint: null },
  },
  {
    name: 'DeleteItem',
    opCode: 21,
    version: [1, 42],
    data: `ffffffff 05 00 00000003 00000101 00000102 00000103 // list of 3 ids`,
    expected: { op: 'DeleteItem', ids: [257, 258, 259], itemType: 5, constraint: null },
  },
  {
    name: 'EmptyFolder',
    opCode: 25,
    version: [1, 42],
    data: `00000003 01 // Trash, with subfolders`,
    expected: { op: 'EmptyFolder', folderId: 3, subfolders: true },
  },
  {
    name: 'AlterItemTag 1.42 (flag by name)',
    opCode: 18,
    version: [1, 42],
    data: `ffffffff 05 ${strHex('\\Flagged')} 01 00 00000001 00000101 // tagged, no constraint, [257]`,
    expected: {
      op: 'AlterItemTag',
      ids: [257],
      itemType: 5,
      tagName: '\\Flagged',
      tagged: true,
      constraint: null,
    },
  },
  {
    name: 'AlterItemTag 1.32 (tag id)',
    opCode: 18,
    version: [1, 32],
    data: `00000101 05 00000040 00 00 // legacy id 257, tag 64, untagged`,
    legacyIds: 'old writers put a single id in the legacy slot',
    expected: { op: 'AlterItemTag', ids: [257], itemType: 5, tagId: 64, tagged: false, constraint: null },
  },
  {
    name: 'SetItemTags 1.42 (tag names)',
    opCode: 19,
    version: [1, 42],
    data: `ffffffff 05 00000220              // flags: flagged|unread
           00000002 ${strHex('urgent')} ${strHex('later')} // tags
           00 00000001 00000101`,
    expected: {
      op: 'SetItemTags',
      ids: [257],
      itemType: 5,
      flags: 0x220,
      tags: ['urgent', 'later'],
      constraint: null,
    },
  },
  {
    name: 'SetItemTags 1.32 (64-bit tag mask)',
    opCode: 19,
    version: [1, 32],
    data: `ffffffff 05 00000000 8000000000000001 00 00000001 00000101`,
    expected: {
      op: 'SetItemTags',
      ids: [257],
      itemType: 5,
      flags: 0,
      tagBitmask: (-(2n ** 63n) + 1n).toString(),
      constraint: null,
    },
  },
  {
    name: 'CreateMessage 1.42, inline body',
    opCode: 27,
    version: [1, 42],
    data: `${strHex('alice@example.com')}  // rcptEmail
           0000018bcfe5687b                 // receivedDate (≥1.4)
           00                               // shared
           ${strHex('LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=')} // digest
           ${intHex(body.length, 8)}        // size i64 (≥1.42)
           00000101 00000002 ffffffff       // msgId 257, folder inbox, conv −1
           ffffffff                         // convFirstMsgId (≥1.5)
           00000000                         // merged conv ids: none (≥1.32)
           ffffffff                         // calItemId
           ffffffff                         // partStat null (≥1.1)
           00000200 00                      // flags unread, noICal false
           00000001 ${strHex('urgent')}     // tags (≥1.33)
           ${strHex('/opt/zimbra/data/tmp/incoming/1.msg')} // path
           ffff                             // reserved i16
           ffffffff                         // custom: null key (≥1.25)
           01 ${intHex(body.length, 4)} ${body.toString('hex')} // inline body`,
    expected: {
      op: 'CreateMessage',
      rcptEmail: 'alice@example.com',
      receivedDate: TS,
      shared: false,
      digest: 'LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=',
      size: body.length,
      msgId: 257,
      folderId: 2,
      convId: -1,
      convFirstMsgId: -1,
      mergedConvIds: [],
      calItemId: -1,
      partStat: null,
      flags: 0x200,
      noICal: false,
      tags: ['urgent'],
      path: '/opt/zimbra/data/tmp/incoming/1.msg',
      custom: null,
      body: { type: 'inline', offset: 0, length: body.length, bytes: body },
    },
  },
  {
    name: 'CreateMessage 1.42, gzip inline body (length ≠ size)',
    opCode: 27,
    version: [1, 42],
    data: `${strHex('')} 0000018bcfe5687b 00 ${strHex('d')} 0000000000000006 // size 6 ("hello\\n")
           00000102 00000002 ffffffff ffffffff 00000000 ffffffff ffffffff 00000000 00
           ffffffff ${strHex('p')} ffff ffffffff
           01 ${intHex(gz.length, 4)} ${gz.toString('hex')} // gzip bytes`,
    expected: {
      op: 'CreateMessage',
      rcptEmail: '',
      receivedDate: TS,
      shared: false,
      digest: 'd',
      size: 6,
      msgId: 258,
      folderId: 2,
      convId: -1,
      convFirstMsgId: -1,
      mergedConvIds: [],
      calItemId: -1,
      partStat: null,
      flags: 0,
      noICal: false,
      tags: null,
      path: 'p',
      custom: null,
      body: { type: 'inline', offset: 0, length: gz.length, bytes: gz },
    },
  },
  {
    name: 'CreateMessage 1.42, linked body (shared delivery)',
    opCode: 27,
    version: [1, 42],
    data: `${strHex('bob@example.com')} 0000018bcfe5687b 01 ${strHex('d')} 0000000000000010
           00000103 00000002 ffffffff ffffffff 00000000 ffffffff ffffffff 00000200 00 ffffffff
           ${strHex('/opt/zimbra/data/tmp/incoming/2.msg')} ffff ffffffff
           02 ffff // link: the body is the StoreIncomingBlob with this path`,
    expected: {
      op: 'CreateMessage',
      rcptEmail: 'bob@example.com',
      receivedDate: TS,
      shared: true,
      digest: 'd',
      size: 16,
      msgId: 259,
      folderId: 2,
      convId: -1,
      convFirstMsgId: -1,
      mergedConvIds: [],
      calItemId: -1,
      partStat: null,
      flags: 0x200,
      noICal: false,
      tags: null,
      path: '/opt/zimbra/data/tmp/incoming/2.msg',
      custom: null,
      body: { type: 'link' },
    },
  },
  {
    name: 'CreateMessage 1.24 (i32 mailbox id and size, tag id string, no custom, no merged convs)',
    opCode: 27,
    version: [1, 24],
    mailboxId: 11,
    data: `${strHex('old@example.com')} 0000018bcfe5687b 00 ${strHex('d')}
           00000005                  // size i32 (before 1.42)
           00000104 00000002 00000104 // msgId, folder, conv
           00000104                  // convFirstMsgId
           ffffffff ffffffff         // calItemId, partStat null
           00000000 01               // flags, noICal
           ${strHex('64,65')}        // tag ids (before 1.33)
           ${strHex('p')} ffff       // path, reserved
           01 00000005 68656c6c6f    // inline "hello"`,
    expected: {
      op: 'CreateMessage',
      rcptEmail: 'old@example.com',
      receivedDate: TS,
      shared: false,
      digest: 'd',
      size: 5,
      msgId: 260,
      folderId: 2,
      convId: 260,
      convFirstMsgId: 260,
      calItemId: -1,
      partStat: null,
      flags: 0,
      noICal: true,
      tagIds: '64,65',
      path: 'p',
      body: { type: 'inline', offset: 0, length: 5, bytes: Buffer.from('hello') },
    },
  },
  {
    name: 'SaveDraft (imapId, then the CreateMessage fields)',
    opCode: 28,
    version: [1, 42],
    data: `00000105 // imapId
           ${strHex('')} 0000018bcfe5687b 00 ${strHex('d')} 0000000000000005
           00000105 00000006 ffffffff ffffffff 00000000 ffffffff ffffffff 00000040 00 ffffffff
           ${strHex('p')} ffff ffffffff 01 00000005 6472616674 // "draft"`,
    expected: {
      op: 'SaveDraft',
      imapId: 261,
      rcptEmail: '',
      receivedDate: TS,
      shared: false,
      digest: 'd',
      size: 5,
      msgId: 261,
      folderId: 6,
      convId: -1,
      convFirstMsgId: -1,
      mergedConvIds: [],
      calItemId: -1,
      partStat: null,
      flags: 0x40,
      noICal: false,
      tags: null,
      path: 'p',
      custom: null,
      body: { type: 'inline', offset: 0, length: 5, bytes: Buffer.from('draft') },
    },
  },
  {
    name: 'StoreIncomingBlob 1.42 (i64 mailbox ids)',
    opCode: 26,
    version: [1, 42],
    mailboxId: -1,
    data: `00000002 000000000000000b 000000000000000c // mailboxes 11, 12
           ${strHex('d')} ${strHex('/opt/zimbra/data/tmp/incoming/2.msg')} ffff
           00000005 00000005 68656c6c6f // size, length, bytes`,
    expected: {
      op: 'StoreIncomingBlob',
      mailboxIds: [11, 12],
      digest: 'd',
      path: '/opt/zimbra/data/tmp/incoming/2.msg',
      size: 5,
      body: { offset: 0, length: 5, bytes: Buffer.from('hello') },
    },
  },
  {
    name: 'StoreIncomingBlob 1.25 (i32 mailbox ids)',
    opCode: 26,
    version: [1, 25],
    mailboxId: -1,
    data: `00000001 0000000b ${strHex('d')} ${strHex('p')} ffff 00000002 00000002 6869`,
    expected: {
      op: 'StoreIncomingBlob',
      mailboxIds: [11],
      digest: 'd',
      path: 'p',
      size: 2,
      body: { offset: 0, length: 2, bytes: Buffer.from('hi') },
    },
  },
  {
    name: 'CreateContact 1.42',
    opCode: 30,
    version: [1, 42],
    data: `00000106 00000007 ffff          // id, folder Contacts, reserved
           ffffffff                       // tags null (≥1.33)
           0002 ${strHex('firstName')} ${strHex('Ann')} ${strHex('email')} ${strHex('ann@example.com')}
           00000004 42454749              // blob "BEGI" (≥1.14)`,
    expected: {
      op: 'CreateContact',
      contactId: 262,
      folderId: 7,
      tags: null,
      fields: [
        ['firstName', 'Ann'],
        ['email', 'ann@example.com'],
      ],
      body: { offset: 0, length: 4, bytes: Buffer.from('BEGI') },
    },
  },
  {
    name: 'CreateContact 1.13 (tag ids, no blob)',
    opCode: 30,
    version: [1, 13],
    data: `00000106 00000007 ffff ${strHex('')} 0001 ${strHex('lastName')} ${strHex('Lee')}`,
    expected: {
      op: 'CreateContact',
      contactId: 262,
      folderId: 7,
      tagIds: '',
      fields: [['lastName', 'Lee']],
    },
  },
  {
    name: 'ModifyContact 1.42 (volume id, blob)',
    opCode: 31,
    version: [1, 42],
    data: `00000106 0001 ${strHex('company')} ${strHex('ACME')} ffff 00000000 // no blob bytes`,
    expected: {
      op: 'ModifyContact',
      contactId: 262,
      fields: [['company', 'ACME']],
      volumeId: -1,
      body: { offset: 0, length: 0, bytes: Buffer.alloc(0) },
    },
  },
  {
    name: 'ModifyContact 1.13 (replace flag)',
    opCode: 31,
    version: [1, 13],
    data: `00000106 01 0000 // replace, no fields`,
    expected: { op: 'ModifyContact', contactId: 262, replace: true, fields: [] },
  },
];

describe('golden redo records', () => {
  for (const g of GOLDEN) it(g.name, () => checkGolden(g));
});
