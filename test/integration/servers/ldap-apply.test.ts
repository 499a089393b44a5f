// A restored directory loaded into a real slapd by `offsite restore apply --to ldap://…`, from a bundle as
// `restore download` leaves one: the directory objects a restore carries (those with a zimbraId, secrets left
// out), parents first, into an empty server; a second run adds nothing; --replace and --mail-host; refusals.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Attribute, Change, Client } from 'ldapts';
import { readDirectory } from '#agent/ldap/read-directory.ts';
import { attr, type DirectoryEntry, normalizeDn } from '#core/ldap/directory-entry.ts';
import { formatLdif } from '#core/ldap/ldif.ts';
import { BUNDLE_FORMAT, type BundleManifest } from '#core/restore/bundle-manifest.ts';
import { type RunningDirectory, startSlapd } from '#local/directory/slapd.ts';
import { passwordHash } from '#local/mail-host/directory-entries.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { offsite } from '#test/support/agent-cli.ts';
import { canonical } from '#test/support/canonical-directory.ts';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** Writes a downloaded bundle holding only a directory (an `offsite restore ldap` bundle). */
function writeDirectoryBundle(dir: string, entries: DirectoryEntry[]): void {
  const ldif = formatLdif(entries);
  writeFileSync(join(dir, 'directory.ldif'), ldif);
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    operationId: '00000000-0000-4000-8000-000000000001',
    mode: 'ldap',
    createdAt: new Date(0).toISOString(),
    point: { time: new Date(0).toISOString() },
    accounts: [],
    directory: { file: 'directory.ldif', sha256: sha(ldif), entries: entries.length },
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
}

describe('restore apply --to ldap:// (a real slapd)', () => {
  let server: RunningDirectory;
  let restored: DirectoryEntry[];
  const work = mkdtempSync(join(tmpdir(), 'offsite-ldap-apply-'));
  const bundleDir = mkdtempSync(join(work, 'bundle-'));
  const env = () => ({ OFFSITE_LDAP_PASSWORD: server.password });
  const apply = (...extra: string[]) =>
    offsite(['restore', 'apply', '--from-dir', bundleDir, '--to', server.url, '--json', ...extra], env());

  async function held(): Promise<DirectoryEntry[]> {
    const client = new Client({ url: server.url });
    await client.bind(server.bindDn, server.password);
    try {
      const entries: DirectoryEntry[] = [];
      for await (const entry of readDirectory(client)) entries.push(entry);
      return entries;
    } finally {
      await client.unbind();
    }
  }

  before(async () => {
    server = await startSlapd({ workDir: join(work, 'slapd') });
    const sim = new MailHostSimulator({ hostDir: join(work, 'host'), seed: 5, accounts: 6 });
    sim.run(300);
    // What a restore's LDIF holds: the directory objects (zimbraId), no password hash or secret.
    restored = sim
      .directory()
      .filter((e) => attr(e, 'zimbraId').length > 0)
      .map((e) => ({
        dn: e.dn,
        attributes: Object.fromEntries(
          Object.entries(e.attributes).filter(([name]) => !/password|secret/i.test(name)),
        ),
      }));
    assert.ok(restored.some((e) => attr(e, 'objectClass').includes('zimbraAccount')));
    writeDirectoryBundle(bundleDir, restored);
  });
  after(async () => {
    await server?.stop();
  });

  it('loads every entry into an empty server, parents first, with the parents the restore lacks', async () => {
    const out = await apply();
    assert.equal(out.code, 0, out.stderr);
    const report = JSON.parse(out.stdout) as { added: number; ancestorsAdded: number; failed: unknown[] };
    assert.equal(report.added, restored.length);
    assert.ok(report.ancestorsAdded > 0, 'dc=, ou=people and cn=zimbra parents were made');
    assert.deepEqual(report.failed, []);
    const now = canonical(await held());
    for (const [dn, attributes] of canonical(restored)) assert.deepEqual(now.get(dn), attributes, dn);
  });

  it('a second run adds nothing and leaves what is there alone; --replace puts the restored values back', async () => {
    const account = restored.find((e) => attr(e, 'objectClass').includes('zimbraAccount')) as DirectoryEntry;
    const client = new Client({ url: server.url });
    await client.bind(server.bindDn, server.password);
    await client.modify(
      account.dn,
      new Change({
        operation: 'replace',
        modification: new Attribute({ type: 'displayName', values: ['changed since'] }),
      }),
    );
    await client.unbind();

    const again = await apply();
    assert.equal(again.code, 0, again.stderr);
    const second = JSON.parse(again.stdout) as { added: number; existing: string[] };
    assert.equal(second.added, 0);
    assert.equal(second.existing.length, restored.length);
    const changed = (await held()).find((e) => normalizeDn(e.dn) === normalizeDn(account.dn));
    assert.deepEqual(attr(changed as DirectoryEntry, 'displayName'), ['changed since']);

    const replaced = await apply('--replace', '--mail-host', 'mail2.example.org');
    assert.equal(replaced.code, 0, replaced.stdout);
    assert.equal((JSON.parse(replaced.stdout) as { replaced: number }).replaced, restored.length);
    const after = (await held()).find((e) => normalizeDn(e.dn) === normalizeDn(account.dn)) as DirectoryEntry;
    assert.deepEqual(attr(after, 'displayName'), attr(account, 'displayName'));
    assert.deepEqual(attr(after, 'zimbraMailHost'), ['mail2.example.org']);
  });

  it('--replace keeps the hash a restore does not carry, and puts back one it carries (--with-secrets)', async () => {
    const account = restored.find((e) => attr(e, 'objectClass').includes('zimbraAccount')) as DirectoryEntry;
    const hashOf = async () => {
      const entry = (await held()).find((e) => normalizeDn(e.dn) === normalizeDn(account.dn));
      return attr(entry as DirectoryEntry, 'userPassword');
    };
    const client = new Client({ url: server.url });
    await client.bind(server.bindDn, server.password);
    await client.modify(
      account.dn,
      new Change({
        operation: 'replace',
        modification: new Attribute({ type: 'userPassword', values: ['{SSHA}set-since-the-loss'] }),
      }),
    );
    await client.unbind();
    assert.equal((await apply('--replace')).code, 0);
    assert.deepEqual(
      await hashOf(),
      ['{SSHA}set-since-the-loss'],
      'a restore without hashes leaves the one there',
    );
    const withSecrets = mkdtempSync(join(work, 'secrets-'));
    const hash = passwordHash(attr(account, 'zimbraId')[0] as string);
    writeDirectoryBundle(
      withSecrets,
      restored.map((e) =>
        normalizeDn(e.dn) === normalizeDn(account.dn)
          ? { ...e, attributes: { ...e.attributes, userPassword: [hash] } }
          : e,
      ),
    );
    const out = await offsite(
      ['restore', 'apply', '--from-dir', withSecrets, '--to', server.url, '--replace', '--json'],
      env(),
    );
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(await hashOf(), [hash], 'the restored hash replaces it');
  });

  it('a wrong password fails the apply naming the server and the bind DN, never the password', async () => {
    const out = await offsite(['restore', 'apply', '--from-dir', bundleDir, '--to', server.url], {
      OFFSITE_LDAP_PASSWORD: 'not-the-password-42',
    });
    assert.notEqual(out.code, 0);
    assert.match(
      out.stderr,
      /cannot bind to ldap:\/\/127\.0\.0\.1:\d+ as uid=zimbra,cn=admins,cn=zimbra: invalid credentials/,
    );
    assert.doesNotMatch(out.stdout + out.stderr, /not-the-password-42/);
    const inUrl = await offsite(
      ['restore', 'apply', '--from-dir', bundleDir, '--to', server.url.replace('//', '//admin:secret99@')],
      env(),
    );
    assert.notEqual(inUrl.code, 0);
    assert.match(inUrl.stderr, /do not put credentials in the URL/);
    assert.doesNotMatch(inUrl.stdout + inUrl.stderr, /secret99/);
  });

  it('an entry the server refuses is reported with its reason while the others load', async () => {
    const dir = mkdtempSync(join(work, 'bad-'));
    writeDirectoryBundle(dir, [
      {
        dn: 'dc=refusal,dc=test',
        attributes: { objectClass: ['dcObject', 'organization'], dc: ['refusal'], o: ['r'] },
      },
      { dn: 'cn=odd,dc=refusal,dc=test', attributes: { objectClass: ['noSuchClass'], cn: ['odd'] } },
      { dn: 'cn=fine,dc=refusal,dc=test', attributes: { objectClass: ['organizationalRole'], cn: ['fine'] } },
    ]);
    const out = await offsite(['restore', 'apply', '--from-dir', dir, '--to', server.url, '--json'], env());
    assert.equal(out.code, 1);
    const report = JSON.parse(out.stdout) as { added: number; failed: { dn: string; reason: string }[] };
    assert.equal(report.added, 2);
    assert.deepEqual(
      report.failed.map((f) => f.dn),
      ['cn=odd,dc=refusal,dc=test'],
    );
    assert.match(report.failed[0]?.reason ?? '', /LDAP result \d+/);
  });
});
