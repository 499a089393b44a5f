import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { applyToZimbra, parseZimbraUrl, type ZimbraTarget } from '#agent/restore/apply-zimbra.ts';
import { directoryBundleSource } from '#agent/restore/bundle-source.ts';
import { type OpenBundle, openBundle } from '#agent/restore/open-bundle.ts';
import { FLAG } from '#core/mail-item.ts';
import { offsite } from '#test/support/agent-cli.ts';
import { everyKindAccount, writeFixtureBundle } from '#test/support/bundle-fixture.ts';
import { startZimbraStub, type ZimbraStub } from '#test/support/zimbra-stub.ts';

// The Zimbra REST import client against a loopback stub that enforces the contract (admin SOAP auth,
// delegated tokens in the ZM_AUTH_TOKEN cookie, preauth, fmt and resolve, content type) and parses the
// archive as the import does. No Zimbra server runs here; the archive itself is proven in
// zimbra-archive.test.ts.

describe('restoring into Zimbra through its REST import', () => {
  const root = mkdtempSync(join(tmpdir(), 'offsite-zimbra-rest-'));
  const PASSWORD = 'adm1n-s3cret';
  const PREAUTH = 'a'.repeat(64);
  let stub: ZimbraStub;
  let bundle: OpenBundle;
  before(async () => {
    const { account, files } = everyKindAccount();
    writeFixtureBundle(join(root, 'bundle'), account, { messages: files });
    bundle = await openBundle(directoryBundleSource(join(root, 'bundle')));
    stub = await startZimbraStub({
      admin: 'admin@example.com',
      password: PASSWORD,
      accounts: ['jane@example.com'],
      preauthKey: PREAUTH,
    });
  });
  after(async () => {
    await stub.close();
    rmSync(root, { recursive: true, force: true });
  });
  const target = (extra: Partial<ZimbraTarget> = {}): ZimbraTarget => ({
    ...parseZimbraUrl(`zimbra://admin@example.com@127.0.0.1:${stub.port}?admin-port=${stub.port}`, true),
    insecure: true,
    password: PASSWORD,
    ...extra,
  });

  it('an administrator restores an account with every item kind; a second run adds nothing', async () => {
    const [report] = await applyToZimbra(bundle, target());
    const mailbox = stub.mailboxes.get('jane@example.com');
    assert.ok(mailbox && report);
    assert.equal(mailbox.messages.length, 3);
    assert.deepEqual(
      mailbox.folders.get('/Work'),
      { view: 5, color: 3 },
      'the folder came with its view and color',
    );
    assert.ok([...mailbox.folders.keys()].some((f) => f.startsWith('/Work/Проекты')));
    const flagged = mailbox.messages.find((m) => m.folder === '/Work');
    assert.equal(flagged?.flags, FLAG.flagged);
    assert.deepEqual(flagged?.tags, ['work', 'fo:o']);
    assert.equal(mailbox.contacts.length, 2);
    assert.deepEqual(
      [...mailbox.calendar.values()].map((c) => [c.folder, c.invites]),
      [
        ['/Calendar', 1],
        ['/Tasks', 1],
      ],
    );
    assert.deepEqual(mailbox.documents.get('/Briefcase/plan.txt'), [1, 2], 'both revisions, in order');
    assert.deepEqual(mailbox.notes, ['call Ann']);
    const posts = stub.requests.filter((r) => r.path.startsWith('/service/home/'));
    assert.deepEqual(
      posts.map((p) => p.contentType),
      ['application/x-compressed-tar'],
    );
    assert.deepEqual(report.items?.message, 3);

    await applyToZimbra(bundle, target());
    assert.equal(mailbox.imports, 2);
    assert.equal(mailbox.messages.length, 3, 'resolve=skip: nothing twice');
    assert.equal(mailbox.contacts.length, 2);
    assert.equal(mailbox.notes.length, 1);
    assert.equal(
      stub.requests.filter((r) => r.path === '/service/admin/soap').length,
      4,
      'one admin login and one delegation per run',
    );
  });

  it('a domain preauth key reaches the account without an administrator password', async () => {
    const before = stub.mailboxes.get('jane@example.com')?.imports ?? 0;
    const { password: _none, ...rest } = target();
    await applyToZimbra(bundle, { ...rest, preauthKey: PREAUTH, resolve: 'replace' });
    const mailbox = stub.mailboxes.get('jane@example.com');
    assert.equal(mailbox?.imports, before + 1);
    assert.equal(mailbox?.messages.length, 3, 'replace: the same messages, replaced');
  });

  it('a refused login says so and never shows the password', async () => {
    const error = await applyToZimbra(bundle, target({ password: 'wrong-password' })).catch((e: Error) => e);
    assert.ok(error instanceof Error);
    assert.match(error.message, /refused AuthRequest: authentication failed .*account\.AUTH_FAILED/);
    assert.ok(!error.message.includes('wrong-password'));
    const badKey = await applyToZimbra(bundle, {
      ...target(),
      password: undefined,
      preauthKey: 'b'.repeat(64),
    } as ZimbraTarget).catch((e: Error) => e);
    assert.match(String(badKey), /refused the preauth of jane@example.com/);
  });

  it('an account the server does not have is named in the error', async () => {
    const other = await openBundle(directoryBundleSource(join(root, 'bundle')));
    const renamed = {
      ...other,
      accounts: other.accounts.map((a) => ({ ...a, target: 'nobody@example.com' })),
    };
    const error = await applyToZimbra(renamed, target()).catch((e: Error) => e);
    assert.match(String(error), /refused DelegateAuthRequest: no such account: nobody@example.com/);
  });

  it('the CLI applies a downloaded bundle to zimbra:// with the password from the environment', async () => {
    const url = `zimbra://admin@example.com@127.0.0.1:${stub.port}?admin-port=${stub.port}`;
    const dir = join(root, 'bundle');
    const ok = await offsite(['restore', 'apply', '--from-dir', dir, '--to', url, '--insecure', '--json'], {
      OFFSITE_ZIMBRA_PASSWORD: PASSWORD,
    });
    assert.equal(ok.code, 0, ok.stderr);
    const shown = JSON.parse(ok.stdout) as { target: string; accounts: { items: Record<string, number> }[] };
    assert.equal(shown.accounts[0]?.items.document, 2);
    assert.ok(!shown.target.includes('admin@'), 'the administrator is not echoed with the target');
    const wrong = await offsite(['restore', 'apply', '--from-dir', dir, '--to', url, '--insecure'], {
      OFFSITE_ZIMBRA_PASSWORD: 'not-the-password',
    });
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /authentication failed/);
    assert.ok(!wrong.stderr.includes('not-the-password'));
    const modes = await offsite(['restore', 'apply', '--from-dir', dir, '--to', url, '--resolve', 'merge'], {
      OFFSITE_ZIMBRA_PASSWORD: PASSWORD,
    });
    assert.match(
      modes.stderr,
      /'--resolve <MODE>' argument 'merge' is invalid. Allowed choices are skip, modify, replace, reset/,
    );
    const tls = await offsite(['restore', 'apply', '--from-dir', dir, '--to', url], {
      OFFSITE_ZIMBRA_PASSWORD: PASSWORD,
    });
    assert.notEqual(tls.code, 0, 'HTTPS unless --insecure: the plaintext stub does not answer TLS');
  });

  it('a Zimbra URL names an administrator and a host, never a password', () => {
    assert.deepEqual(parseZimbraUrl('zimbra://admin@mail.example.com'), {
      host: 'mail.example.com',
      port: 443,
      adminPort: 7071,
      adminUser: 'admin',
    });
    assert.equal(parseZimbraUrl('zimbra://admin@mail.example.com', true).port, 80);
    assert.throws(() => parseZimbraUrl('zimbra://admin:pw@mail.example.com'), /does not carry a password/);
    assert.throws(() => parseZimbraUrl('zimbra://mail.example.com'), /names no administrator/);
    assert.throws(() => parseZimbraUrl('imap://admin@mail.example.com'), /not a zimbra:/);
  });
});
