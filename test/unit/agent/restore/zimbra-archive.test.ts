import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { applyToTgz } from '#agent/restore/apply-archive.ts';
import { directoryBundleSource } from '#agent/restore/bundle-source.ts';
import { openBundle } from '#agent/restore/open-bundle.ts';
import { FLAG, ITEM_TYPE } from '#core/mail-item.ts';
import { decodeMetadata } from '#core/scan/zimbra-metadata.ts';
import {
  everyKindAccount,
  FIXTURE_DOCUMENT_V1,
  FIXTURE_DOCUMENT_V2,
  FIXTURE_MESSAGE,
  LONG_FOLDER,
  writeFixtureBundle,
} from '#test/support/bundle-fixture.ts';
import { type ImportedItem, readZimbraArchive } from '#test/support/zimbra-archive-reader.ts';

// The archive an account restores to for Zimbra's import, read by a parser written from the import's source
// (the Ant tar reader, ArchiveFormatter.saveCallback's pairing and checks, ItemData's required keys), by
// GNU tar and by tar-stream: every item of every kind comes back with what the import applies.

describe('a Zimbra archive of one account', () => {
  const root = mkdtempSync(join(tmpdir(), 'offsite-zimbra-archive-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const { account, files } = everyKindAccount();

  async function archive(name: string, tamper?: (dir: string) => void) {
    const dir = join(root, `${name}-bundle`);
    writeFixtureBundle(dir, account, { messages: files, ...(tamper ? { afterDigests: tamper } : {}) });
    const file = join(root, `${name}.tgz`);
    const [report] = await applyToTgz(await openBundle(directoryBundleSource(dir)), file);
    return {
      file,
      report: report as NonNullable<typeof report>,
      read: readZimbraArchive(readFileSync(file)),
    };
  }

  it('holds every item with its .meta, in the order the import needs, with nothing it would refuse', async () => {
    const { read, report } = await archive('whole');
    assert.deepEqual(read.errors, []);
    assert.deepEqual(read.data, [], 'every entry is paired with a .meta');
    const kinds = read.items.map((i) => i.item.type);
    const firstItem = kinds.indexOf(ITEM_TYPE.message);
    assert.ok(
      kinds.slice(0, firstItem).every((t) => [1, 2, 3, 13].includes(t)),
      'folders, searches, tags and mountpoints come before the items filed into them',
    );
    const count = (type: number) => kinds.filter((t) => t === type).length;
    assert.equal(count(ITEM_TYPE.folder), account.folders.length);
    assert.equal(count(ITEM_TYPE.searchFolder), 1);
    assert.equal(count(ITEM_TYPE.tag), 2);
    assert.equal(count(ITEM_TYPE.mountpoint), 1);
    assert.equal(count(ITEM_TYPE.message), 3);
    assert.equal(count(ITEM_TYPE.contact), 2);
    assert.equal(count(ITEM_TYPE.appointment), 1);
    assert.equal(count(ITEM_TYPE.task), 1);
    assert.equal(count(ITEM_TYPE.document), 2, 'one item per revision');
    assert.equal(count(ITEM_TYPE.note), 1);
    assert.deepEqual(report.items, {
      folder: 7,
      search: 1,
      tag: 2,
      mountpoint: 1,
      message: 3,
      contact: 2,
      appointment: 1,
      task: 1,
      document: 2,
      note: 1,
    });
    assert.equal(report.appended, 3);
    assert.deepEqual(report.notApplied, []);
    assert.deepEqual(report.failed, []);
  });

  it('gives each item what the import applies: folder, flags, tags, body, metadata', async () => {
    const { read } = await archive('fields');
    const byId = (id: number) => read.items.filter((i) => i.item.id === id);
    const one = (id: number) => byId(id)[0] as ImportedItem;

    const unread = one(257);
    assert.equal(unread.item.path, '/Inbox/');
    assert.equal(unread.item.flagBits, FLAG.unread);
    assert.equal(unread.meta.mode & 0o200, 0, 'an unread message has its .meta write bit cleared');
    assert.deepEqual(unread.item.tags, ['work']);
    assert.deepEqual(unread.body?.data, FIXTURE_MESSAGE);
    assert.equal(unread.body?.devMajor, ITEM_TYPE.message);
    assert.equal(unread.body?.groupName, 'message');
    assert.equal(unread.meta.mtimeMs, Date.UTC(2026, 10, 20, 9));
    const flagged = one(258);
    assert.equal(flagged.item.flagBits, FLAG.flagged);
    assert.deepEqual(flagged.item.tags, ['work', 'fo:o']);
    assert.equal(flagged.meta.mode & 0o200, 0o200);
    const deep = one(259);
    assert.equal(deep.item.path, `/Work/${LONG_FOLDER}/`);
    assert.ok(Buffer.byteLength(deep.metaEntry) > 100, 'the entry name needed a GNU long name');
    assert.ok(deep.metaEntry.startsWith(`Work/${LONG_FOLDER}/`), deep.metaEntry);

    const work = one(300);
    assert.equal(work.item.path, '/Work');
    const workMeta = decodeMetadata(work.item.metadata) as Record<string, unknown>;
    assert.equal(workMeta.vt, 5);
    assert.equal(workMeta.c, 3);
    assert.deepEqual((workMeta.aclm as { g: unknown[] }).g, [{ g: 'b1', t: 1, r: 1, e: 0 }]);

    const contact = one(500);
    assert.equal(contact.body, undefined, 'a contact without attachments has no body entry');
    assert.deepEqual(
      (decodeMetadata(contact.item.metadata) as { fld: unknown }).fld,
      account.contacts[0]?.fields,
    );

    const appointment = one(600);
    const apptMeta = decodeMetadata(appointment.item.metadata) as Record<string, unknown>;
    assert.equal(apptMeta.u, 'u-600');
    assert.equal(apptMeta.nc, 1);
    assert.deepEqual(apptMeta.inv0, decodeMetadata(account.calendar[0]?.invites[0] as string));
    assert.ok('tzm' in apptMeta, 'CalendarItem.decodeMetadata reads invites only when a tzm map is present');
    assert.equal(appointment.item.path, '/Calendar/');
    assert.equal(one(601).item.path, '/Tasks/');

    const revisions = byId(900);
    assert.deepEqual(
      revisions.map((r) => r.body?.data),
      [FIXTURE_DOCUMENT_V1, FIXTURE_DOCUMENT_V2],
      'revisions oldest first, each with its bytes',
    );
    assert.deepEqual(
      revisions.map((r) => (decodeMetadata(r.item.metadata) as { ver?: number }).ver ?? 1),
      [1, 2],
    );
    assert.equal(revisions[1]?.item.path, '/Briefcase/plan.txt');
    assert.deepEqual(
      revisions.map((r) => r.metaEntry),
      ['Briefcase/plan-00001.txt.meta', 'Briefcase/plan-00002.txt.meta'],
    );
    assert.equal(one(950).body?.data.toString(), 'call Ann', "a note's text is its body entry");
  });

  it('is read the same by GNU tar and by tar-stream (names, sizes)', async () => {
    const { file, read } = await archive('peers');
    const expected = read.items.flatMap((i) => [i.metaEntry, ...(i.body ? [i.body.name] : [])]);
    const gnu = execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).trim().split('\n');
    assert.deepEqual(gnu, expected);
    const names: string[] = [];
    const reader = extract();
    reader.on('entry', (header, stream, next) => {
      names.push(header.name);
      stream.on('end', next);
      stream.resume();
    });
    const finished = new Promise<void>((done, fail) => reader.on('finish', () => done()).on('error', fail));
    Readable.from(readFileSync(file)).pipe(createGunzip()).pipe(reader);
    await finished;
    assert.deepEqual(names, expected);
  });

  it('leaves out an item whose body fails its check, reports it, and the import sees no missing blob', async () => {
    const { read, report, file } = await archive('tampered', (dir) =>
      writeFileSync(join(dir, 'accounts/0/documents/900/2'), 'tampered'),
    );
    assert.deepEqual(read.errors, []);
    assert.equal(read.items.filter((i) => i.item.id === 900).length, 1, 'the sound revision is kept');
    assert.equal(report.failed?.length, 1);
    assert.match(report.failed?.[0]?.reason ?? '', /documents\/900\/2.*SHA-256/);
    assert.ok(existsSync(file));
    assert.ok(!existsSync(`${file}.tmp`));
  });
});
