// The agent's LDAP dump against a real slapd, as the agent's daemon runs it: the directory is handed on as
// LDIF a piece at a time while the pages arrive (a large directory is never held whole), the pieces together
// are exactly the directory, and a failed write (the spool's disk) fails the dump with its own error.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LdapDumpError } from '#agent/errors.ts';
import { dumpDirectory } from '#agent/ldap/dump-directory.ts';
import { formatLdif, parseLdif } from '#core/ldap/ldif.ts';
import { type RunningDirectory, startSlapd } from '#local/directory/slapd.ts';
import { syncDirectory } from '#local/directory/sync-directory.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { canonical } from '#test/support/canonical-directory.ts';

describe('dumping a real slapd a piece at a time', () => {
  let server: RunningDirectory;
  let sim: MailHostSimulator;
  const work = mkdtempSync(join(tmpdir(), 'offsite-dump-'));
  const passwordFile = join(work, 'ldap.password');
  const ldap = () => ({
    url: server.url,
    bindDn: server.bindDn,
    passwordFile,
    base: '',
    pageSize: 5,
    intervalMinutes: 60,
    insecure: false,
  });

  before(async () => {
    server = await startSlapd({ workDir: join(work, 'slapd') });
    sim = new MailHostSimulator({ hostDir: join(work, 'host'), seed: 4, accounts: 30 });
    sim.run(100);
    await syncDirectory(server, sim.directory());
    writeFileSync(passwordFile, `${server.password}\n`, { mode: 0o600 });
  });
  after(async () => {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('hands on pieces of about the size asked that together are the directory as LDIF', async () => {
    const pieces: string[] = [];
    const dump = await dumpDirectory(
      ldap(),
      async (piece) => {
        pieces.push(piece);
      },
      { pieceChars: 1500 },
    );
    const expected = sim.directory();
    assert.equal(dump.entries, expected.length);
    const text = pieces.join('');
    assert.ok(pieces.length > 5, `${pieces.length} pieces`);
    // Each piece but the last ends at the first entry past the size (so no piece is much larger).
    for (const piece of pieces.slice(0, -1)) assert.ok(piece.length >= 1500 && piece.length < 1500 * 4);
    const entries = parseLdif(text);
    assert.deepEqual(canonical(entries), canonical(expected));
    assert.equal(text, formatLdif(entries), 'what formatLdif writes for the same entries, byte for byte');
  });

  it('fails with the write error itself when a piece cannot be written, and writes nothing after it', async () => {
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    let writes = 0;
    await assert.rejects(
      dumpDirectory(
        ldap(),
        async () => {
          writes++;
          if (writes === 2) throw full;
        },
        { pieceChars: 1500 },
      ),
      (error: unknown) => error === full && !(error instanceof LdapDumpError),
    );
    assert.equal(writes, 2);
  });

  it('refuses an empty directory before writing anything', async () => {
    let writes = 0;
    await assert.rejects(
      dumpDirectory({ ...ldap(), base: 'ou=nothing-here,dc=nowhere' }, async () => {
        writes++;
      }),
      (error: unknown) => error instanceof LdapDumpError,
    );
    assert.equal(writes, 0);
  });
});
