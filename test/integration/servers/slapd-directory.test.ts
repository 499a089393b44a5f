import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from 'ldapts';
import { readDirectory } from '#agent/ldap/read-directory.ts';
import { attr, type DirectoryEntry } from '#core/ldap/directory-entry.ts';
import { parseLdif } from '#core/ldap/ldif.ts';
import { type RunningDirectory, startSlapd } from '#local/directory/slapd.ts';
import { syncDirectory } from '#local/directory/sync-directory.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { canonical } from '#test/support/canonical-directory.ts';

describe('the simulator directory in a real slapd', () => {
  let server: RunningDirectory;
  const work = mkdtempSync(join(tmpdir(), 'offsite-slapd-'));

  before(async () => {
    server = await startSlapd({ workDir: join(work, 'slapd') });
  });
  after(async () => {
    await server?.stop();
  });

  async function readAll(pageSize: number): Promise<DirectoryEntry[]> {
    const client = new Client({ url: server.url });
    await client.bind(server.bindDn, server.password);
    try {
      const entries: DirectoryEntry[] = [];
      for await (const entry of readDirectory(client, { pageSize })) entries.push(entry);
      return entries;
    } finally {
      await client.unbind();
    }
  }

  /** ldapsearch (OpenLDAP's own client) as an independent reader of what the server holds. */
  function ldapsearch(): DirectoryEntry[] {
    const out = execFileSync(
      'ldapsearch',
      [
        '-x',
        '-LLL',
        '-o',
        'ldif-wrap=no',
        '-H',
        server.url,
        '-D',
        server.bindDn,
        '-y',
        passwordFile(),
        '-b',
        '',
      ],
      { encoding: 'utf8' },
    );
    return parseLdif(out);
  }

  function passwordFile(): string {
    const file = join(work, 'password');
    // ldapsearch -y reads the whole file, newline included, so write none.
    execFileSync('sh', ['-c', `umask 077 && printf %s "$1" > "$2"`, 'sh', server.password, file]);
    return file;
  }

  it('holds exactly the simulated directory as it changes: accounts, aliases, lists, domains, COS', async () => {
    const sim = new MailHostSimulator({ hostDir: join(work, 'host'), seed: 11, accounts: 7 });
    const first = await syncDirectory(server, sim.directory());
    assert.equal(first.deleted, 0);
    assert.equal(first.added, sim.directory().length);
    // Page size 3 forces many pages of the RFC 2696 paged search.
    assert.deepEqual(canonical(await readAll(3)), canonical(sim.directory()));

    const before = sim.directory();
    sim.run(1500);
    assert.ok((sim.counts['rename-account'] ?? 0) > 0, 'the workload renamed accounts');
    assert.ok((sim.counts['delete-mailbox'] ?? 0) > 0, 'the workload deleted accounts');
    const second = await syncDirectory(server, sim.directory());
    assert.ok(second.added > 0 && second.deleted > 0 && second.modified > 0, JSON.stringify(second));
    const held = await readAll(500);
    assert.deepEqual(canonical(held), canonical(sim.directory()));
    assert.deepEqual(canonical(ldapsearch()), canonical(sim.directory()));
    assert.notDeepEqual(canonical(held), canonical(before));

    // Syncing again changes nothing.
    assert.deepEqual(await syncDirectory(server, sim.directory()), { added: 0, modified: 0, deleted: 0 });
  });

  it('keeps the directory history: the accounts as of any instant', () => {
    const start = Date.UTC(2026, 0, 5, 8, 0, 0);
    const sim = new MailHostSimulator({
      hostDir: join(work, 'history'),
      seed: 3,
      accounts: 4,
      startTime: start,
    });
    const liveNames = () =>
      sim.accounts
        .filter((a) => !a.deleted)
        .map((a) => a.name)
        .sort();
    const seen: { time: number; names: string[] }[] = [{ time: sim.time(), names: liveNames() }];
    for (let i = 0; i < 2000; i++) {
      sim.step();
      seen.push({ time: sim.time(), names: liveNames() });
    }
    assert.ok((sim.counts['rename-account'] ?? 0) > 0 && (sim.counts['delete-mailbox'] ?? 0) > 0);
    const accountsAt = (t: number) =>
      sim
        .directoryAt(t)
        .filter((e) => attr(e, 'objectClass').includes('zimbraAccount'))
        .map((e) => attr(e, 'zimbraMailDeliveryAddress')[0])
        .sort();
    assert.deepEqual(accountsAt(start - 1), []);
    assert.equal(accountsAt(seen[0]?.time ?? 0).length, 4);
    for (let i = 0; i < seen.length; i += 37)
      assert.deepEqual(accountsAt(seen[i]?.time ?? 0), seen[i]?.names);
  });

  it('rejects a wrong password without touching the directory', async () => {
    await assert.rejects(
      syncDirectory({ ...server, password: 'wrong' }, []),
      (error: Error) =>
        error.name === 'LocalCloudError' && /invalid credentials \(LDAP result 49\)/.test(error.message),
    );
    assert.ok((await readAll(100)).length > 0);
  });
});
