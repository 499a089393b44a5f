// The agent dumps a real slapd over LDAP (paged search) and ships compressed LDIF: on demand, on request to
// a running agent, and on schedule; a failed bind or search ships nothing and says why.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { zstdDecompressSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { parseLdif } from '#core/ldap/ldif.ts';
import type { Operation } from '#core/operation.ts';
import { type RunningDirectory, startSlapd } from '#local/directory/slapd.ts';
import { syncDirectory } from '#local/directory/sync-directory.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { eventually, startTestCloud } from '#test/integration/harness.ts';
import { offsite, startAgent, writeAgentConfig } from '#test/support/agent-cli.ts';
import { canonical } from '#test/support/canonical-directory.ts';
import { checkCatalog } from '#test/support/catalog-checks.ts';

describe('the agent dumps LDAP', () => {
  let cloud: LocalCloud;
  let directory: RunningDirectory;
  let sim: MailHostSimulator;
  const work = mkdtempSync(join(tmpdir(), 'offsite-ldapdump-'));
  const serverId = 'srv-ldap';
  const passwordFile = join(work, 'ldap.password');

  before(async () => {
    [cloud, directory] = await Promise.all([startTestCloud(), startSlapd({ workDir: join(work, 'slapd') })]);
    sim = new MailHostSimulator({ hostDir: join(work, 'host'), seed: 8, accounts: 12 });
    sim.run(200);
    await syncDirectory(directory, sim.directory());
    writeFileSync(passwordFile, `${directory.password}\n`, { mode: 0o600 });
  });
  after(async () => {
    await Promise.all([cloud?.stop(), directory?.stop()]);
    rmSync(work, { recursive: true, force: true });
  });

  const bucket = () => cloud.outputs.BackupBucketName as string;

  function config(name: string, ldap: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
    return writeAgentConfig(join(work, `${name}.json`), cloud, {
      serverId,
      zimbraHome: sim.hostDir,
      stateDir: join(work, 'state'),
      startFrom: 'live',
      pollMs: 20,
      // fauxqs has no CloudWatch (the moto suite tests the lag metrics).
      metrics: { enabled: false },
      ldap: { url: directory.url, bindDn: directory.bindDn, passwordFile, pageSize: 4, ...ldap },
      // A stop ships what was dumped by then within this grace: long, so a loaded machine does not decide.
      upload: { stopGraceSeconds: 120 },
      ...extra,
    });
  }

  async function dumpsInS3(): Promise<string[]> {
    const page = await cloud.clients.s3.send(
      new ListObjectsV2Command({ Bucket: bucket(), Prefix: `servers/${serverId}/ldap/` }),
    );
    return (page.Contents ?? []).map((o) => o.Key as string).sort();
  }

  it('on demand: the shipped LDIF holds exactly the directory, and the catalog records the dump', async () => {
    const result = await offsite(['agent', 'ldap-dump', '--config', config('good', {}), '--json']);
    assert.equal(result.code, 0, result.stderr);
    const shipped = JSON.parse(result.stdout) as { key: string; entries: number };
    const expected = sim.directory();
    assert.equal(shipped.entries, expected.length);
    assert.deepEqual(await dumpsInS3(), [shipped.key]);

    const got = await cloud.clients.s3.send(new GetObjectCommand({ Bucket: bucket(), Key: shipped.key }));
    const ldif = zstdDecompressSync(
      Buffer.from(await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()),
    );
    assert.equal(createHash('sha256').update(ldif).digest('hex'), shipped.key.split('.').at(-1));
    assert.deepEqual(canonical(parseLdif(ldif.toString('utf8'))), canonical(expected));
    assert.deepEqual(await checkCatalog(cloud, serverId), [shipped.key]);

    const status = await offsite(['agent', 'status', '--config', config('good', {}), '--json']);
    const parsed = JSON.parse(status.stdout) as { lastLdapDump: { key: string; entries: number } };
    assert.equal(parsed.lastLdapDump.key, shipped.key);
  });

  it('a wrong password or a missing base is reported, exits non-zero and ships nothing', async () => {
    const before = await dumpsInS3();
    const wrongPassword = join(work, 'wrong.password');
    writeFileSync(wrongPassword, 'not-the-password\n');
    const denied = await offsite([
      'agent',
      'ldap-dump',
      '--config',
      config('denied', { passwordFile: wrongPassword }),
    ]);
    assert.notEqual(denied.code, 0);
    assert.match(
      denied.stderr,
      /cannot bind to ldap:\/\/127\.0\.0\.1:\d+ as uid=zimbra,cn=admins,cn=zimbra: invalid credentials \(LDAP result 49\)/,
    );

    const missing = await offsite([
      'agent',
      'ldap-dump',
      '--config',
      config('missing', { base: 'dc=nowhere,dc=invalid' }),
    ]);
    assert.notEqual(missing.code, 0);
    assert.match(
      missing.stderr,
      /searching ldap:\/\/.* under "dc=nowhere,dc=invalid" failed after 0 entries: no such object/,
    );

    const noFile = await offsite([
      'agent',
      'ldap-dump',
      '--config',
      config('nofile', { passwordFile: join(work, 'absent') }),
    ]);
    assert.notEqual(noFile.code, 0);
    assert.match(noFile.stderr, /cannot read the LDAP password file .*absent/);

    assert.deepEqual(await dumpsInS3(), before, 'nothing shipped');
    const status = await offsite(['agent', 'status', '--config', config('good', {}), '--json']);
    const parsed = JSON.parse(status.stdout) as { lastLdapError: { message: string } | null };
    assert.match(parsed.lastLdapError?.message ?? '', /cannot read the LDAP password file/);
  });

  it('a running agent dumps on request (SIGUSR1) and on schedule', async () => {
    const before = (await dumpsInS3()).length;
    // An interval of 3 s: the last dump is older than that, so one is due at start, then every 3 s.
    const file = config('scheduled', { intervalMinutes: 0.05 });
    const agent = startAgent(file);
    try {
      await eventually(
        async () => ((await dumpsInS3()).length >= before + 2 ? true : undefined),
        30_000,
        'two scheduled dumps',
      );
      const refused = await offsite(['agent', 'ship-once', '--config', file]);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, new RegExp(`another agent \\(pid ${agent.pid}\\) is using`));
      const requested = await offsite(['agent', 'ldap-dump', '--config', file, '--json']);
      assert.equal(requested.code, 0, requested.stderr);
      assert.equal((JSON.parse(requested.stdout) as { pid: number }).pid, agent.pid);
    } finally {
      // At once: a dump is likely being taken or shipped, and a stop lets it finish shipping.
      await agent.kill('SIGTERM');
    }
    const stderr = agent.log();
    assert.equal(await agent.exited, 0, stderr);
    assert.match(stderr, /LDAP dump requested/);
    assert.match(stderr, /LDAP dump spooled/);
    assert.doesNotMatch(stderr, /"level":"ERROR"/);
    const status = await offsite(['agent', 'status', '--config', file, '--json']);
    assert.equal(
      (JSON.parse(status.stdout) as { spool: { entries: number } }).spool.entries,
      0,
      'everything dumped before the stop was shipped and announced',
    );
    const dumps = await dumpsInS3();
    assert.ok(dumps.length >= before + 2);
    // The catalog names exactly what S3 holds: the dumps, and any redo segment the daemon cut by age meanwhile.
    const catalogued = await checkCatalog(cloud, serverId);
    assert.deepEqual(
      catalogued.filter((key) => key.includes('/ldap/')),
      dumps,
    );
  });

  it('an ldap-dump operation: the running agent dumps when it reaches it, and reports the dump', async () => {
    const before = await dumpsInS3();
    // Its own interval is an hour and a dump was just taken: only the operation makes one.
    const file = config(
      'dispatched',
      { intervalMinutes: 60 },
      { control: { url: cloud.outputs.AgentControlUrl as string, pollSeconds: 0.2 } },
    );
    const agent = startAgent(file);
    try {
      const env = { OFFSITE_CONTROL_URL: cloud.outputs.ControlUrl as string };
      const out = await offsite(
        [
          'ops',
          'start',
          'ldap-dump',
          '--params',
          JSON.stringify({ servers: [serverId] }),
          '--wait',
          '--json',
        ],
        env,
      );
      assert.equal(out.code, 0, out.stderr);
      const op = JSON.parse(out.stdout) as Operation;
      assert.equal(op.state, 'succeeded', op.error);
      const report = (
        op.result as {
          servers: Record<string, { outcome: string; summary: { key: string; entries: number } }>;
        }
      ).servers[serverId];
      assert.equal(report?.outcome, 'done');
      assert.ok((report?.summary.entries ?? 0) > 0, 'the dump has the directory entries');
      assert.match(report?.summary.key ?? '', new RegExp(`^servers/${serverId}/ldap/`));
      // Shipped by the daemon like any dump: the one new object in S3 is the one reported.
      const dumps = await eventually(
        async () => {
          const now = await dumpsInS3();
          return now.length > before.length ? now : undefined;
        },
        30_000,
        'the dump in S3',
      );
      assert.deepEqual(
        dumps.filter((key) => !before.includes(key)),
        [report?.summary.key],
      );
    } finally {
      await agent.kill('SIGTERM');
    }
    assert.equal(await agent.exited, 0, agent.log());
  });
});
