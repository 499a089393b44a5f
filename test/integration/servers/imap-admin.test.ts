// One administrator credential restores into many mailboxes: SASL PLAIN with the account as the authorization
// identity, against a real Dovecot whose master user has a password of its own (the accounts' password is
// another one, which the restore never has).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { offsite } from '#test/support/agent-cli.ts';
import { fixtureAccount, writeFixtureBundle } from '#test/support/bundle-fixture.ts';
import { type Dovecot, imapListing, startDovecot } from '#test/support/dovecot.ts';

const ADMIN = { user: 'restore-admin', password: 'admin-secret-7f3' };

describe('restore apply --to imap:// --admin-user (a real Dovecot)', () => {
  let dovecot: Dovecot;
  const work = mkdtempSync(join(tmpdir(), 'offsite-imap-admin-'));
  const bundleDir = mkdtempSync(join(work, 'bundle-'));
  const apply = (password: string, ...extra: string[]) =>
    offsite(
      [
        'restore',
        'apply',
        '--from-dir',
        bundleDir,
        '--to',
        `imap://127.0.0.1:${dovecot.port}`,
        '--insecure',
        '--password-env',
        'ADMIN_PW',
        '--json',
        ...extra,
      ],
      { ADMIN_PW: password },
    );

  before(async () => {
    dovecot = await startDovecot(join(work, 'dovecot'), { admin: ADMIN });
    writeFixtureBundle(bundleDir, fixtureAccount());
  });
  after(async () => {
    await dovecot?.stop();
  });

  it("appends to the account's mailbox with the administrator's credential alone", async () => {
    const out = await apply(ADMIN.password, '--admin-user', ADMIN.user);
    assert.equal(out.code, 0, out.stderr);
    const { accounts } = JSON.parse(out.stdout) as { accounts: { account: string; appended: number }[] };
    assert.deepEqual(
      accounts.map((a) => [a.account, a.appended]),
      [['jane@example.com', 2]],
    );
    // Read back as the account itself, with its own password.
    const listing = imapListing(dovecot.port, 'jane@example.com', dovecot.password);
    assert.equal(listing.INBOX?.length, 1);
    assert.equal(listing.Work?.length, 1);
    const again = await apply(ADMIN.password, '--admin-user', ADMIN.user);
    assert.equal((JSON.parse(again.stdout) as { accounts: { appended: number }[] }).accounts[0]?.appended, 0);
  });

  it("refuses the administrator with a wrong password, or with the account's own, naming who acted for whom", async () => {
    for (const password of ['not-it-19a', dovecot.password]) {
      const out = await apply(password, '--admin-user', ADMIN.user);
      assert.notEqual(out.code, 0);
      assert.match(
        out.stderr,
        /cannot log in to 127\.0\.0\.1:\d+ as jane@example\.com \(authorized by restore-admin\)/,
      );
      assert.doesNotMatch(out.stdout + out.stderr, new RegExp(password));
    }
  });

  it('takes one way of logging in', async () => {
    const out = await apply(ADMIN.password, '--admin-user', ADMIN.user, '--master-user', ADMIN.user);
    assert.notEqual(out.code, 0);
    assert.match(out.stderr, /give one of: a user in the URL, --master-user, --admin-user/);
  });
});
