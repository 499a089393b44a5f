// fauxqs: the agent's redo announcements go to a queue of the test's own and are fed in-process.
// LDAP dumps indexed as versions: domains and accounts by name as each dump had them, a name resolved to
// its mailbox at an instant across renames, an old dump arriving late ignored, a corrupt one set aside.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LdapDumpAnnouncement } from '#core/announcement.ts';
import { attr, type DirectoryEntry } from '#core/ldap/directory-entry.ts';
import { formatLdif } from '#core/ldap/ldif.ts';
import { setDynamodb } from '#functions/clients/dynamodb.ts';
import { setS3 } from '#functions/clients/s3.ts';
import type { FunctionConfig } from '#functions/config.ts';
import { handleIngest } from '#functions/index/handle-ingest.ts';
import { listAccounts, listDomains } from '#functions/query/list-accounts.ts';
import { resolveAccount } from '#functions/query/resolve-account.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { startTestCloud } from '#test/integration/harness.ts';
import { offsite } from '#test/support/agent-cli.ts';
import { privateIndexerConfig, shipAndCollect } from '#test/support/collected-announcements.ts';
import { useLocalIndex } from '#test/support/index-checks.ts';
import { uploadLdapDump } from '#test/support/ldap-dumps.ts';

const FAR = Number.MAX_SAFE_INTEGER;
const serverId = 'srv-dir';

describe('LDAP dumps in the index', () => {
  let cloud: LocalCloud;
  let config: FunctionConfig<'indexer'>;
  let sim: MailHostSimulator;
  const dumps: { at: number; message: LdapDumpAnnouncement }[] = [];
  const work = mkdtempSync(join(tmpdir(), 'offsite-dir-'));

  const uploadDump = (at: number, text: string) =>
    uploadLdapDump(cloud.clients.s3, config.backupBucket, serverId, at, text);

  before(async () => {
    cloud = await startTestCloud();
    useLocalIndex(cloud);
    setS3(cloud.clients.s3);
    config = await privateIndexerConfig(cloud, 'dir-announcements');
    sim = new MailHostSimulator({ hostDir: join(work, 'host'), seed: 31, accounts: 6, tickMaxMs: 60_000 });
    for (let i = 0; i < 10; i++) {
      sim.run(120);
      dumps.push({
        at: sim.time(),
        message: await uploadDump(sim.time(), formatLdif(sim.directoryAt(sim.time()))),
      });
    }
    sim.close();
    assert.ok((sim.counts['rename-account'] ?? 0) > 0, 'the workload renames an account');
    const messages = await shipAndCollect(cloud, config, {
      serverId,
      hostDir: sim.hostDir,
      stateDir: join(work, 'state'),
    });
    for (const m of messages) await handleIngest(m, config, FAR);
    for (const { message } of dumps)
      assert.equal((await handleIngest(message, config, FAR)).directory?.state, 'indexed');
  });
  after(async () => {
    setDynamodb(undefined);
    setS3(undefined);
    await cloud?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const accountsIn = (at: number) =>
    sim.directoryAt(at).filter((e) => attr(e, 'objectClass').includes('zimbraAccount'));

  it('answers domains and account names as each dump had them', async () => {
    for (const { at } of dumps) {
      const domains = await listDomains(config.indexTable, at);
      assert.deepEqual(
        domains.map((d) => d.name),
        ['example.com', 'example.org'],
      );
      const accounts = await listAccounts(config.indexTable, at, false);
      for (const account of accountsIn(at)) {
        const row = accounts.find((a) => a.accountId === attr(account, 'zimbraId')[0]);
        assert.equal(
          row?.name,
          attr(account, 'zimbraMailDeliveryAddress')[0],
          `name at ${new Date(at).toISOString()}`,
        );
      }
    }
  });

  it('offsite domains and offsite mailbox <name> answer through the control API', async () => {
    const url = cloud.outputs.ControlUrl as string;
    const domains = await offsite(['domains', '--json', '--url', url]);
    assert.equal(domains.code, 0, domains.stderr);
    assert.deepEqual(
      JSON.parse(domains.stdout).domains.map((d: { name: string }) => d.name),
      ['example.com', 'example.org'],
    );
    const first = dumps[0]?.at as number;
    const account = accountsIn(first)[0] as DirectoryEntry;
    const name = attr(account, 'zimbraMailDeliveryAddress')[0] as string;
    const mailbox = await offsite([
      'mailbox',
      name,
      '--at',
      new Date(first).toISOString(),
      '--json',
      '--url',
      url,
    ]);
    assert.equal(mailbox.code, 0, mailbox.stderr);
    assert.equal(JSON.parse(mailbox.stdout).accountId, attr(account, 'zimbraId')[0]);
  });

  it('resolves a name to its mailbox at an instant, before and after a rename', async () => {
    let renamed = 0;
    for (let i = 1; i < dumps.length; i++) {
      const [earlier, later] = [dumps[i - 1]?.at as number, dumps[i]?.at as number];
      for (const old of accountsIn(earlier)) {
        const id = attr(old, 'zimbraId')[0] as string;
        const oldName = attr(old, 'zimbraMailDeliveryAddress')[0] as string;
        const now = accountsIn(later).find((a) => attr(a, 'zimbraId')[0] === id);
        const mailbox = sim.accounts.find((a) => a.zimbraId === id)?.mailboxId;
        assert.deepEqual(await resolveAccount(config.indexTable, oldName, earlier), {
          serverId,
          mailboxId: mailbox,
        });
        const newName = now ? (attr(now, 'zimbraMailDeliveryAddress')[0] as string) : undefined;
        if (newName && newName !== oldName) {
          renamed++;
          assert.deepEqual(await resolveAccount(config.indexTable, newName, later), {
            serverId,
            mailboxId: mailbox,
          });
          await assert.rejects(resolveAccount(config.indexTable, oldName, later), /no mailbox is known/);
        }
      }
    }
    assert.ok(renamed > 0, 'a rename fell between two dumps');
  });

  it('ignores a dump older than the last one indexed, and sets a corrupt one aside', async () => {
    const again = await handleIngest(dumps[3]?.message as LdapDumpAnnouncement, config, FAR);
    assert.equal(again.directory?.state, 'older');
    const last = dumps.at(-1)?.at as number;
    const corrupt = await uploadDump(last + 1000, 'dn: uid=x\nthis is not ldif\n\x00');
    const out = await handleIngest(corrupt, config, FAR);
    assert.equal(out.directory?.state, 'quarantined');
    const accounts = await listAccounts(config.indexTable, last + 2000, false);
    assert.equal(accounts.length, accountsIn(last).length, 'the directory is as the last good dump had it');
  });
});
