// Folder names as users write them — an ampersand, Cyrillic, accents, brackets, a dot — reach a real Dovecot
// intact, over IMAP (modified UTF-7 on the wire) and in a Maildir written directly (modified UTF-7 on disk, as
// Dovecot keeps it), read back by Python's imaplib and decoded with Python's own UTF-7 codec.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { offsite } from '#test/support/agent-cli.ts';
import { FIXTURE_MESSAGE, fixtureAccount, writeFixtureBundle } from '#test/support/bundle-fixture.ts';
import { type Dovecot, imapListing, startDovecot } from '#test/support/dovecot.ts';

const NAMES = ['R&D', 'Привет мир', 'Café crème', '100% [draft]', 'a.b', '&-literal'];
const CHILD = 'Q&A Ünï';

describe('folder names with reserved and non-ASCII characters (a real Dovecot)', () => {
  let imap: Dovecot;
  let files: Dovecot;
  const work = mkdtempSync(join(tmpdir(), 'offsite-names-'));
  const bundleDir = mkdtempSync(join(work, 'bundle-'));
  const account = fixtureAccount();

  before(async () => {
    [imap, files] = await Promise.all([startDovecot(join(work, 'imap')), startDovecot(join(work, 'files'))]);
    const base = account.messages[0] as (typeof account.messages)[number];
    account.folders.push(...NAMES.map((name, i) => ({ id: 400 + i, name, parentId: 1 })));
    account.folders.push({ id: 450, name: CHILD, parentId: 400 });
    // One message in each folder (every message has the same body; the fixture writes one file per id).
    account.messages = [400, 401, 402, 403, 404, 405, 450].map((folderId, i) => ({
      ...base,
      id: 500 + i,
      folderId,
      file: `messages/${500 + i}.eml`,
    }));
    writeFixtureBundle(bundleDir, account, {
      messages: Object.fromEntries(account.messages.map((m) => [m.file, FIXTURE_MESSAGE])),
    });
  });
  after(async () => {
    await Promise.all([imap?.stop(), files?.stop()]);
  });

  const expected = [...NAMES, `R&D/${CHILD}`].sort();
  const listed = (dovecot: Dovecot) =>
    Object.entries(imapListing(dovecot.port, account.target, dovecot.password))
      .filter(([, messages]) => messages.length > 0)
      .map(([name]) => name)
      .sort();

  it('over IMAP', async () => {
    const out = await offsite(
      ['restore', 'apply', '--from-dir', bundleDir, '--to', `imap://127.0.0.1:${imap.port}`, '--insecure'],
      { OFFSITE_IMAP_PASSWORD: imap.password },
    );
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(listed(imap), expected);
  });

  it('in a Maildir Dovecot serves', async () => {
    const out = await offsite([
      'restore',
      'apply',
      '--from-dir',
      bundleDir,
      '--to',
      `maildir:${files.mailRoot}`,
    ]);
    assert.equal(out.code, 0, out.stderr);
    files.adopt();
    assert.deepEqual(listed(files), expected);
  });
});
