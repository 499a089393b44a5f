import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseScanSnapshot } from '#core/scan/scan-snapshot.ts';
import {
  EXPORT_FORMAT,
  EXPORT_MAILBOX_FORMAT,
  ExportFormatError,
  type ExportMailbox,
  exportFile,
  exportManifestSchema,
  formatExportMailbox,
  parseExportMailbox,
} from '#core/transfer/export-format.ts';
import { scanSnapshotOfExport } from '#core/transfer/scan-of-export.ts';

const sha = (c: string) => c.repeat(64);
const mailbox: ExportMailbox = {
  header: {
    type: 'header',
    format: EXPORT_MAILBOX_FORMAT,
    serverId: 'srv-1',
    mailboxId: 3,
    accountId: '0f0c6c2a-0000-4000-8000-000000000001',
    accountName: 'ann@example.com',
    time: '2026-11-22T10:15:00.000Z',
  },
  folders: [{ type: 'folder', id: 2, name: 'Inbox', parentId: 1 }],
  tags: [{ type: 'tag', id: 64, name: 'work' }],
  messages: [
    {
      type: 'message',
      id: 257,
      folderId: 2,
      flags: 1,
      tags: ['work'],
      digest: 'x',
      size: 10,
      sha256: sha('a'),
      receivedDate: 1_795_000_000_000,
      subject: 'hello',
    },
  ],
  contacts: [{ type: 'contact', id: 300, folderId: 7, fields: { email: 'bob@example.net' }, sha256: null }],
  calendar: [
    {
      type: 'calendar',
      id: 301,
      folderId: 10,
      itemType: 'appointment',
      flags: 0,
      tags: [],
      uid: 'u-1@example.com',
      invites: ['d2:iti11e1:u15:u-1@example.come'],
    },
  ],
  documents: [
    {
      type: 'document',
      id: 302,
      folderId: 16,
      itemType: 'document',
      flags: 0,
      tags: [],
      name: 'plan.txt',
      description: '',
      revisions: [
        {
          version: 1,
          name: 'plan.txt',
          contentType: 'text/plain',
          author: 'ann@example.com',
          date: 1_795_000_000_000,
          size: 4,
          digest: 'x',
          sha256: sha('d'),
        },
      ],
    },
  ],
  notes: [
    {
      type: 'note',
      id: 310,
      folderId: 2,
      itemType: 'note',
      flags: 0,
      tags: [],
      text: 'call Bob',
      date: 1_795_000_000_000,
      color: 3,
      bounds: '10,20,300,150',
    },
    {
      type: 'note',
      id: 311,
      folderId: 17,
      itemType: 'comment',
      flags: 0,
      tags: [],
      text: 'looks good',
      date: 1_795_000_000_000,
      parentId: 302,
      creatorId: 'acct-2',
    },
  ],
  config: [{ type: 'config', section: 'IMAP', metadata: 'd4:subsl5:Inboxee' }],
};
const stored = { sha256: sha('b'), size: 100, storedSize: 40 };
const manifest = {
  format: EXPORT_FORMAT,
  operationId: '6f1c8a52-9a43-4c1e-8f3a-0d0c2b1a0e11',
  createdAt: '2026-11-22T11:00:00.000Z',
  time: '2026-11-22T10:15:00.000Z',
  selection: { accounts: [], domains: ['example.com'], all: false },
  servers: [{ serverId: 'srv-1', directory: { file: exportFile.directory('srv-1'), entries: 4, ...stored } }],
  mailboxes: [
    {
      index: 0,
      serverId: 'srv-1',
      mailboxId: 3,
      accountId: mailbox.header.accountId,
      accountName: 'ann@example.com',
      file: exportFile.mailbox(0),
      ...stored,
      folders: 1,
      tags: 1,
      messages: 1,
      contacts: 1,
      bytes: 10,
    },
  ],
  blobs: { file: exportFile.blobs, count: 1, bytes: 10, ...stored },
  unexported: [],
};

describe('export format', () => {
  it('writes a mailbox as lines that read back the same', () => {
    assert.deepEqual(parseExportMailbox(formatExportMailbox(mailbox)), mailbox);
  });

  it('reads a mailbox written before configuration sections were carried without any (the index keeps its own)', () => {
    const { config: _c, ...older } = mailbox;
    const text = formatExportMailbox(older);
    assert.doesNotMatch(text, /"config"/);
    assert.equal(parseExportMailbox(text).config, undefined);
    const none = parseExportMailbox(formatExportMailbox({ ...older, config: [] }));
    assert.deepEqual(none.config, [], 'a writer that read none says so: the index drops its sections');
  });

  it('reads a mailbox written before notes were carried without any, and one whose writer read none as none', () => {
    const { notes: _n, ...older } = mailbox;
    const text = formatExportMailbox(older);
    assert.doesNotMatch(text, /"notes"/);
    assert.equal(parseExportMailbox(text).notes, undefined, 'the index keeps its notes');
    assert.deepEqual(parseExportMailbox(formatExportMailbox({ ...older, notes: [] })).notes, []);
  });

  it('refuses a note whose id another item has, and a place that is not four numbers', () => {
    const note = mailbox.notes?.[0];
    assert.ok(note);
    const twice = formatExportMailbox({ ...mailbox, notes: [{ ...note, id: 257 }] });
    assert.throws(() => parseExportMailbox(twice), /item 257 appears twice/);
    const odd = formatExportMailbox({ ...mailbox, notes: [{ ...note, bounds: '1,2,3' }] });
    assert.throws(() => parseExportMailbox(odd), /line \d+/);
  });

  it('refuses a configuration section twice, whatever its case', () => {
    const twice = formatExportMailbox({
      ...mailbox,
      config: [...(mailbox.config ?? []), { type: 'config', section: 'imap', metadata: '' }],
    });
    assert.throws(() => parseExportMailbox(twice), /configuration section imap appears twice/);
  });

  it('refuses a truncated mailbox, a scan snapshot passed off as one, and an item twice', () => {
    const text = formatExportMailbox(mailbox);
    const lines = text.trimEnd().split('\n');
    for (const bad of [
      `${lines.slice(0, -1).join('\n')}\n`,
      text.replace(EXPORT_MAILBOX_FORMAT, 'offsite-scan/1'),
      formatExportMailbox({ ...mailbox, folders: [...mailbox.folders, ...mailbox.folders] }),
      `${lines[0]}\n{"type":"message"}\n${lines.at(-1)}\n`,
      '',
    ])
      assert.throws(() => parseExportMailbox(bad), ExportFormatError);
  });

  it('turns an exported mailbox into the full scan snapshot the indexer applies, before any redo', () => {
    const { text, header } = scanSnapshotOfExport(mailbox, 'import-1');
    const snapshot = parseScanSnapshot(text);
    assert.deepEqual(snapshot.header, header);
    assert.equal(header.kind, 'full');
    assert.deepEqual(header.position, { seq: '0', offset: '0' });
    assert.equal(header.takenAt, mailbox.header.time);
    assert.deepEqual(snapshot.messages, mailbox.messages);
    assert.deepEqual(snapshot.contacts, mailbox.contacts);
  });

  it('accepts a manifest as an export writes it', () => {
    assert.equal(exportManifestSchema.parse(manifest).mailboxes.length, 1);
  });

  it('refuses manifests that choose their own paths, repeat a mailbox or name an unknown server', () => {
    const first = manifest.mailboxes[0] as (typeof manifest.mailboxes)[number];
    const server = manifest.servers[0] as (typeof manifest.servers)[number];
    const cases: [string, unknown][] = [
      ['a mailbox file outside the format', { mailboxes: [{ ...first, file: '../../etc/passwd' }] }],
      ['an index out of place', { mailboxes: [{ ...first, index: 1, file: exportFile.mailbox(1) }] }],
      ['a mailbox twice', { mailboxes: [first, { ...first, index: 1, file: exportFile.mailbox(1) }] }],
      ['an unknown server', { mailboxes: [{ ...first, serverId: 'srv-2' }] }],
      [
        'a directory file elsewhere',
        { servers: [{ ...server, directory: { ...server.directory, file: 'directory/other.ldif.zst' } }] },
      ],
      ['an account id that is no id', { mailboxes: [{ ...first, accountId: '../x' }] }],
      ['a server id with a slash', { servers: [{ serverId: 'a/b' }] }],
      ['another format', { format: 'offsite-export/2' }],
      ['an unknown field', { extra: true }],
    ];
    for (const [what, change] of cases)
      assert.equal(
        exportManifestSchema.safeParse({ ...manifest, ...(change as object) }).success,
        false,
        what,
      );
  });
});
