// fauxqs only: fifty restores of a multi-day workload need fauxqs' SQS speed.
// Restores through the whole pipeline (control API → planner → workers → bundle in S3), checked against the
// simulator's ground truth: point in time at 50 random instants, every mode on a concrete scenario from the
// workload, the CLI's download and apply to Maildir, mbox, tgz and a real Dovecot, read back by an
// independent IMAP client.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Client } from 'ldapts';
import { parseAgentConfig } from '#agent/config/agent-config.ts';
import type { ControlClient } from '#agent/control-client.ts';
import { readDirectory } from '#agent/ldap/read-directory.ts';
import { memoryLog } from '#agent/observability.ts';
import { s3BundleSource } from '#agent/restore/bundle-source.ts';
import { type OpenBundle, openBundle } from '#agent/restore/open-bundle.ts';
import { Shipper } from '#agent/ship/shipper.ts';
import type { RebuildReport } from '#cli/rebuild-command.ts';
import { attr, type DirectoryEntry } from '#core/ldap/directory-entry.ts';
import { parseLdif } from '#core/ldap/ldif.ts';
import { FLAG, ITEM_TYPE } from '#core/mail-item.ts';
import type { MailboxState } from '#core/mail-snapshot.ts';
import type { Operation } from '#core/operation.ts';
import { NON_MAIL_FOLDERS } from '#core/restore/folder-paths.ts';
import type { RestoreReport } from '#core/restore/restore-report.ts';
import { seededRandom } from '#core/seeded-random.ts';
import type { BodyLocation } from '#core/storage/body-location.ts';
import { startSlapd } from '#local/directory/slapd.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { eventually, operationEnded, startTestCloud } from '#test/integration/harness.ts';
import { offsite } from '#test/support/agent-cli.ts';
import {
  comparableSnapshot,
  comparableTruth,
  snapshotOfBundle,
  stateOfManifest,
} from '#test/support/bundle-state.ts';
import { type Dovecot, imapListing, startDovecot } from '#test/support/dovecot.ts';
import { forceActions, RARE_ACTIONS } from '#test/support/forced-actions.ts';
import { useLocalIndex, waitForIndexed } from '#test/support/index-checks.ts';
import { shipLdapDumps } from '#test/support/ldap-dumps.ts';
import { localControl } from '#test/support/local-control.ts';
import { bodyLocation, damageFrame } from '#test/support/packed-bodies.ts';
import { startRadicale } from '#test/support/radicale.ts';
import { randomInstants } from '#test/support/random-instants.ts';
import { type TruthHistory, truthHistory } from '#test/support/truth-history.ts';
import { readZimbraArchive } from '#test/support/zimbra-archive-reader.ts';
import { startZimbraStub } from '#test/support/zimbra-stub.ts';

const serverId = 'srv-restore';

describe('restore', () => {
  let cloud: LocalCloud;
  let sim: MailHostSimulator;
  let history: TruthHistory;
  let client: ControlClient;
  let bucket: string;
  const dumpTimes: number[] = [];
  const checkpoints: { time: number; sequence: bigint; offset: number }[] = [];
  const work = mkdtempSync(join(tmpdir(), 'offsite-restore-'));
  const dovecots: Dovecot[] = [];
  let imapServer: Dovecot | undefined;
  /** The Dovecot restores are applied to over IMAP, started by the first test that needs it. */
  async function imap(): Promise<Dovecot> {
    if (!imapServer) {
      imapServer = await startDovecot(join(work, 'dovecot-imap'));
      dovecots.push(imapServer);
    }
    return imapServer;
  }

  const cliEnv = () => ({
    AWS_ENDPOINT_URL_S3: cloud.endpoints.s3,
    OFFSITE_BUCKET: bucket,
    OFFSITE_CONTROL_URL: cloud.outputs.ControlUrl as string,
  });
  async function cli<T = unknown>(...args: string[]): Promise<T> {
    const out = await offsite(['restore', ...args, '--json'], {
      ...cliEnv(),
      IMAP_PW: imapServer?.password ?? '',
    });
    assert.equal(out.code, 0, `offsite restore ${args.join(' ')}: ${out.stderr}`);
    return JSON.parse(out.stdout) as T;
  }
  async function restore(params: Record<string, unknown>): Promise<Operation> {
    const op = await client.request<Operation>('POST', '/operations', { kind: 'restore', params });
    return waitFinished(op.id);
  }
  const waitFinished = (id: string) => operationEnded(client, id, 120_000, `restore ${id} to finish`);
  const bundleOf = (op: Operation): Promise<OpenBundle> =>
    openBundle(s3BundleSource(cloud.clients.s3, bucket, op.id), op.result?.sha256 as string);
  /** The name the directory gave a mailbox's account at `time` (the LDAP dump at or before it). */
  function nameAt(mailboxId: number, time: number): string | undefined {
    const dump = dumpTimes.filter((t) => t <= time).at(-1);
    const accountId = (sim.truthAt(time).mailboxes[mailboxId] ?? sim.truthAt(time - 1).mailboxes[mailboxId])
      ?.accountId;
    if (dump === undefined || !accountId) return undefined;
    const entry = sim.directoryAt(dump).find((e) => attr(e, 'zimbraId')[0] === accountId);
    return entry ? attr(entry, 'zimbraMailDeliveryAddress')[0]?.toLowerCase() : undefined;
  }

  before(async () => {
    cloud = await startTestCloud();
    useLocalIndex(cloud);
    bucket = cloud.outputs.BackupBucketName as string;
    client = localControl(cloud);
    sim = new MailHostSimulator({
      hostDir: join(work, 'host'),
      seed: 23,
      accounts: 5,
      rolloverBytes: 192 * 1024,
      tickMaxMs: 120_000,
    });
    // In steps of 100, noting where the redo log stood: points to restore to by redo position.
    for (let i = 0; i < 9; i++) {
      sim.run(100);
      checkpoints.push({ time: sim.time(), ...sim.redo.position() });
    }
    // What the tests below rely on happens whatever the seed drew: a mailbox deleted after the checkpoints.
    for (const action of ['empty-trash', 'delete', 'trash', 'create-appointment', 'save-document'] as const)
      if (!sim.counts[action]) sim.act(action);
    forceActions(sim, RARE_ACTIONS);
    sim.act('delete-mailbox');
    sim.close();
    history = truthHistory(sim);
    for (const action of ['empty-trash', 'delete', 'delete-mailbox', 'trash', 'deliver-shared', 'invite'])
      assert.ok((sim.counts[action] ?? 0) > 0, `the workload did not ${action}`);
    const shipper = await Shipper.open({
      config: parseAgentConfig({
        serverId,
        zimbraHome: sim.hostDir,
        stateDir: join(work, 'state'),
        aws: { region: 'us-east-1', bucket, ingestQueueUrl: cloud.outputs.IngestQueueUrl },
        segment: { maxMiB: 48 / 1024 },
      }),
      s3: cloud.clients.s3,
      sqs: cloud.clients.sqs,
      log: memoryLog(),
    });
    await shipper.shipOnce();
    // The directory as an hourly LDAP dump would have caught it: 40 dumps across the workload.
    const first = history.times[0] as number;
    const last = history.times.at(-1) as number;
    for (let i = 0; i <= 40; i++) dumpTimes.push(Math.round(first - 1 + ((last + 1 - first) * i) / 40));
    await waitForIndexed(cloud, serverId, 240_000);
    await shipLdapDumps(cloud, serverId, dumpTimes, (t) => sim.directoryAt(t));
  });
  after(async () => {
    for (const d of dovecots) await d.stop();
    await cloud?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('restores every account at 50 random instants exactly as the ground truth had it, byte for byte', async () => {
    const instants = randomInstants(history.times, 50, seededRandom(8));
    const pending = [...instants];
    const check = async (t: number) => {
      const op = await restore({ mode: 'point-in-time', all: true, at: t, chunkItems: 40 });
      if (Object.keys(sim.truthAt(t).mailboxes).length === 0) {
        assert.equal(op.state, 'failed', 'nothing existed: nothing to restore');
        return;
      }
      assert.equal(op.state, 'succeeded', `restore at ${new Date(t).toISOString()}: ${op.error}`);
      assert.equal(op.result?.unrestored, 0);
      const bundle = await bundleOf(op);
      assert.deepEqual(
        await snapshotOfBundle(bundle),
        comparableSnapshot(sim.truthAt(t)),
        `bundle at ${new Date(t).toISOString()}`,
      );
      for (const account of bundle.accounts) {
        const name = nameAt(account.account.mailboxId, t);
        if (name) assert.equal(account.account.name, name, 'the account is named as the directory had it');
      }
    };
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let t = pending.shift(); t !== undefined; t = pending.shift()) await check(t);
      }),
    );
  });

  /** What an IMAP client must see for a mailbox of the truth: folders by path, messages by content. */
  function expectedListing(
    mailbox: MailboxState,
  ): Record<string, { flags: string[]; sha256: string; size: number }[]> {
    const pathOf = (id: number): string[] => {
      const folder = mailbox.folders[String(id)];
      if (!folder || id === 1) return [];
      return [...pathOf(folder.parentId), id === 2 ? 'INBOX' : folder.name];
    };
    const out: Record<string, { flags: string[]; sha256: string; size: number }[]> = {};
    // Saved searches and mountpoints hold no mail of their own: IMAP gets no folder for them.
    for (const [id, folder] of Object.entries(mailbox.folders).map(([k, f]) => [Number(k), f] as const))
      if (id !== 1 && !NON_MAIL_FOLDERS.has(id) && !folder.search && !folder.mount)
        out[pathOf(id).join('/')] = [];
    out.INBOX ??= [];
    for (const m of Object.values(mailbox.messages)) {
      const flags = [
        ...(m.flags & FLAG.unread ? [] : ['\\Seen']),
        ...(m.flags & FLAG.flagged ? ['\\Flagged'] : []),
        ...(m.flags & FLAG.replied ? ['\\Answered'] : []),
        ...(m.flags & FLAG.draft ? ['\\Draft'] : []),
        ...(m.flags & FLAG.deleted ? ['\\Deleted'] : []),
        ...(m.flags & FLAG.forwarded ? ['$Forwarded'] : []),
        ...m.tags,
      ].sort();
      const path = pathOf(m.folderId).join('/');
      out[path] = [...(out[path] ?? []), { flags, sha256: m.sha256, size: m.size }];
    }
    for (const list of Object.values(out))
      list.sort((a, b) => a.sha256.localeCompare(b.sha256) || a.flags.join().localeCompare(b.flags.join()));
    return out;
  }
  function listing(dovecot: Dovecot, user: string) {
    const found = imapListing(dovecot.port, user, dovecot.password);
    return Object.fromEntries(
      Object.entries(found).map(([folder, messages]) => [
        folder,
        messages
          .map(({ flags, sha256, size }) => ({ flags: [...flags].sort(), sha256, size }))
          .sort((a, b) => a.sha256.localeCompare(b.sha256) || a.flags.join().localeCompare(b.flags.join())),
      ]),
    );
  }
  /** A mailbox that is still there at the end, with a deletion of the kind `pick` wants. */
  function liveAtEnd(mailboxId: number): boolean {
    return sim.current().mailboxes[mailboxId] !== undefined;
  }

  it('the CLI restores all accounts and applies them to Dovecot: an independent IMAP listing equals the truth, and a second apply adds nothing', async () => {
    const t = (history.times[Math.floor(history.times.length * 0.6)] as number) + 1;
    const truth = sim.truthAt(t);
    const op = await cli<Operation>('--all', '--at', new Date(t).toISOString(), '--wait');
    assert.equal(op.state, 'succeeded', op.error);
    const dovecot = await imap();
    const url = `imap://127.0.0.1:${dovecot.port}`;
    // This Dovecot offers no TLS: an imap:// apply refuses to log in in the clear unless told so.
    const plain = await offsite(['restore', 'apply', op.id, '--to', url, '--password-env', 'IMAP_PW'], {
      ...cliEnv(),
      IMAP_PW: dovecot.password,
    });
    assert.equal(plain.code, 2, plain.stderr);
    assert.match(plain.stderr, /does not offer STARTTLS .*use imaps:\/\/, or --insecure/);
    assert.doesNotMatch(plain.stderr, new RegExp(dovecot.password), 'the password is never echoed');
    const first = await cli<{ accounts: { target: string; appended: number; skipped: number }[] }>(
      'apply',
      op.id,
      '--to',
      url,
      '--password-env',
      'IMAP_PW',
      '--insecure',
    );
    const bundle = await bundleOf(op);
    assert.equal(first.accounts.length, Object.keys(truth.mailboxes).length);
    assert.equal(
      first.accounts.reduce((sum, a) => sum + a.appended, 0),
      Object.values(truth.mailboxes).reduce((sum, m) => sum + Object.keys(m.messages).length, 0),
      'every message appended now: the refused apply appended nothing',
    );
    for (const account of bundle.accounts) {
      const expected = expectedListing(truth.mailboxes[account.account.mailboxId] as MailboxState);
      assert.deepEqual(listing(dovecot, account.target), expected, `IMAP listing of ${account.target}`);
      const dates = imapListing(dovecot.port, account.target, dovecot.password);
      const received = Object.values(truth.mailboxes[account.account.mailboxId]?.messages ?? {})
        .map((m) => Math.floor(m.receivedDate / 1000))
        .sort();
      const seen = Object.values(dates)
        .flat()
        .map((m) => Date.parse(m.internaldate.replace(/^(\d+)-(\w+)-(\d+) /, '$2 $1 $3 ')) / 1000)
        .sort();
      assert.deepEqual(seen, received, 'internal dates are the received dates');
    }
    const again = await cli<{ accounts: { appended: number; skipped: number }[] }>(
      'apply',
      op.id,
      '--to',
      url,
      '--password-env',
      'IMAP_PW',
      '--insecure',
    );
    const total = Object.values(truth.mailboxes).reduce((sum, m) => sum + Object.keys(m.messages).length, 0);
    assert.deepEqual(
      [
        again.accounts.reduce((sum, a) => sum + a.appended, 0),
        again.accounts.reduce((sum, a) => sum + a.skipped, 0),
      ],
      [0, total],
      'a second apply appends nothing',
    );

    // Downloaded (every digest checked), then applied offline to a Maildir that Dovecot serves as it is.
    const dir = join(work, 'download');
    const downloaded = await cli<{ files: number; kept: number }>('download', op.id, '--dir', dir);
    const calendarsAndRevisions = bundle.accounts.reduce(
      (sum, a) =>
        sum +
        a.calendars.length +
        a.addressBooks.length +
        a.documents.reduce((n, d) => n + d.revisions.length, 0),
      0,
    );
    assert.ok(calendarsAndRevisions > 0, 'the bundle holds calendars and documents');
    assert.equal(
      downloaded.files,
      total +
        calendarsAndRevisions +
        bundle.accounts.length * 2 +
        1 -
        bundle.accounts.filter((a) => !a.ldif).length,
    );
    const resumed = await cli<{ files: number; kept: number }>('download', op.id, '--dir', dir);
    assert.equal(resumed.files, 0, 'a second download finds every file in place');
    const maildirHost = join(work, 'dovecot-maildir');
    const applied = await cli<{ accounts: { appended: number }[] }>(
      'apply',
      '--from-dir',
      dir,
      '--to',
      `maildir:${join(maildirHost, 'mail')}`,
    );
    assert.equal(
      applied.accounts.reduce((sum, a) => sum + a.appended, 0),
      total,
    );
    const reapplied = await cli<{ accounts: { appended: number; skipped: number }[] }>(
      'apply',
      '--from-dir',
      dir,
      '--to',
      `maildir:${join(maildirHost, 'mail')}`,
    );
    assert.equal(
      reapplied.accounts.reduce((sum, a) => sum + a.appended, 0),
      0,
      'a second Maildir apply writes nothing',
    );
    const served = await startDovecot(maildirHost);
    dovecots.push(served);
    for (const account of bundle.accounts)
      assert.deepEqual(
        listing(served, account.target),
        expectedListing(truth.mailboxes[account.account.mailboxId] as MailboxState),
        `Maildir of ${account.target} as Dovecot serves it`,
      );

    // mbox: one file per folder, one "From " line per message; tgz: one account, an .eml per message.
    const mbox = join(work, 'mbox');
    await cli('apply', '--from-dir', dir, '--to', `mbox:${mbox}`);
    for (const account of bundle.accounts) {
      // An account without mail gets no folder files (whatever the seed drew, one may have none yet).
      const files = (
        existsSync(join(mbox, account.target))
          ? readdirSync(join(mbox, account.target), { recursive: true, encoding: 'utf8' })
          : []
      ).filter((f) => f.endsWith('.mbox'));
      const messages = files.reduce(
        (sum, f) =>
          sum +
          (readFileSync(join(mbox, account.target, f), 'latin1').match(/^From MAILER-DAEMON /gm)?.length ??
            0),
        0,
      );
      assert.equal(messages, account.messages.length, `mbox of ${account.target}`);
    }
    const one = bundle.accounts[0] as OpenBundle['accounts'][number];
    const tgz = join(work, 'account.tgz');
    await cli('apply', '--from-dir', dir, '--account', one.account.name, '--to', `tgz:${tgz}`);
    // Read as Zimbra's import reads it: every item paired with its .meta, nothing it would refuse.
    const archived = readZimbraArchive(readFileSync(tgz));
    assert.deepEqual(archived.errors, [], "nothing Zimbra's import would refuse");
    const ofType = (type: number) => archived.items.filter((i) => i.item.type === type);
    assert.deepEqual(
      ofType(ITEM_TYPE.message)
        .map((i) => i.item.id)
        .sort((a, b) => a - b),
      one.messages.map((m) => m.id).sort((a, b) => a - b),
      'one message item per message, each with its body',
    );
    for (const item of ofType(ITEM_TYPE.message)) {
      const message = one.messages.find((m) => m.id === item.item.id);
      assert.equal(item.body?.data.length, message?.size, `message ${item.item.id} body`);
      assert.equal(item.item.flagBits & FLAG.unread, (message?.flags ?? 0) & FLAG.unread);
    }
    assert.equal(
      ofType(ITEM_TYPE.appointment).length + ofType(ITEM_TYPE.task).length,
      one.calendar.length,
      'every appointment and task, with its invites',
    );
    assert.equal(ofType(ITEM_TYPE.contact).length, one.contacts.length);
    assert.equal(
      ofType(ITEM_TYPE.document).length,
      one.documents.reduce((sum, d) => sum + d.revisions.length, 0),
      'every document revision',
    );
    assert.equal(
      execFileSync('tar', ['-tzf', tgz], { encoding: 'utf8' }).trim().split('\n').length,
      archived.items.length + archived.items.filter((i) => i.body).length,
      'GNU tar lists the same entries',
    );
    const several = await offsite(['restore', 'apply', '--from-dir', dir, '--to', `tgz:${tgz}`], cliEnv());
    assert.equal(several.code, 2);
    assert.match(several.stderr, /one account.*--account/);
  });

  it('restores to a redo position: everything committed up to <seq>:<offset>, accounts deleted since included', async () => {
    const early = checkpoints[2];
    assert.ok(
      early && history.deletedMailboxes.some((d) => d.time > early.time),
      'a mailbox is deleted after the point',
    );
    for (const checkpoint of [checkpoints[2], checkpoints[5]]) {
      assert.ok(checkpoint);
      const op = await cli<Operation>(
        '--all',
        '--seq',
        `${checkpoint.sequence}:${checkpoint.offset}`,
        '--wait',
      );
      assert.equal(op.state, 'succeeded', op.error);
      assert.deepEqual(
        await snapshotOfBundle(await bundleOf(op)),
        comparableSnapshot(sim.truthAt(checkpoint.time)),
        `at redo ${checkpoint.sequence}:${checkpoint.offset}`,
      );
    }
  });

  it('undelete: messages deleted in a window (an emptied Trash) come back into a folder of their own, the deleted flag cleared', async () => {
    const emptied = history.deletions.find((d) => d.before.folderId === 3 && liveAtEnd(d.mailboxId));
    assert.ok(emptied, 'the workload emptied a Trash');
    const from = emptied.time - 10 * 60_000;
    const to = emptied.time + 10 * 60_000;
    const expected = history.deletions.filter(
      (d) => d.mailboxId === emptied.mailboxId && d.time >= from && d.time <= to,
    );
    const op = await cli<Operation>(
      'undelete',
      `${serverId}:${emptied.mailboxId}`,
      '--from',
      new Date(from).toISOString(),
      '--to',
      new Date(to).toISOString(),
      '--folder',
      'Recovered items',
      '--wait',
    );
    assert.equal(op.state, 'succeeded', op.error);
    const [account] = (await bundleOf(op)).accounts;
    assert.ok(account);
    assert.equal(account.folders.length, 1);
    const folder = account.folders[0] as { id: number; name: string; parentId: number };
    assert.deepEqual(
      { name: folder.name, parentId: folder.parentId },
      { name: 'Recovered items', parentId: 1 },
    );
    assert.deepEqual(
      stateOfManifest(account).messages,
      Object.fromEntries(
        expected.map((d) => [
          String(d.itemId),
          { ...d.before, folderId: folder.id, flags: d.before.flags & ~FLAG.deleted },
        ]),
      ),
    );
  });

  it('restore on a new account: a prefix names the target, its LDIF follows the new name, the source stays as it is', async () => {
    const t = (history.times[Math.floor(history.times.length * 0.8)] as number) + 1;
    const [mailboxId, mailbox] =
      Object.entries(sim.truthAt(t).mailboxes).find(([id]) => nameAt(Number(id), t)) ?? [];
    assert.ok(mailboxId && mailbox);
    const name = nameAt(Number(mailboxId), t) as string;
    const op = await cli<Operation>(
      name,
      '--at',
      new Date(t).toISOString(),
      '--prefix',
      'restore_',
      '--wait',
    );
    assert.equal(op.state, 'succeeded', op.error);
    const bundle = await bundleOf(op);
    const [account] = bundle.accounts;
    assert.equal(account?.target, `restore_${name}`);
    assert.deepEqual(await snapshotOfBundle(bundle), { [mailboxId]: comparableTruth(mailbox) });
    const ldif = parseLdif(
      (await bundle.file('accounts/0/account.ldif', account?.ldif?.sha256 as string)).toString('utf8'),
    );
    assert.equal(ldif.length, 1);
    const entry = ldif[0] as (typeof ldif)[number];
    assert.deepEqual(attr(entry, 'mail'), [`restore_${name}`]);
    assert.deepEqual(attr(entry, 'zimbraMailAlias'), []);
    assert.notEqual(attr(entry, 'zimbraId')[0], mailbox.accountId, 'the new account has an id of its own');
    const dovecot = await imap();
    const sourceBefore = listing(dovecot, name);
    await cli(
      'apply',
      op.id,
      '--to',
      `imap://127.0.0.1:${dovecot.port}`,
      '--password-env',
      'IMAP_PW',
      '--insecure',
    );
    assert.deepEqual(listing(dovecot, `restore_${name}`), expectedListing(mailbox));
    assert.deepEqual(listing(dovecot, name), sourceBefore, 'the source account is untouched');
  });

  it('single item: a message deleted since comes back as it was, into its folder or a chosen one; an unknown id is reported', async () => {
    const gone = history.deletions.find((d) => liveAtEnd(d.mailboxId) && d.before.folderId !== 3);
    assert.ok(gone, 'the workload deleted a message outside Trash');
    const before = sim.truthAt(gone.time - 1).mailboxes[gone.mailboxId] as MailboxState;
    const ref = `${serverId}:${gone.mailboxId}`;
    const op = await cli<Operation>('item', ref, String(gone.itemId), '999999', '--wait');
    assert.equal(op.state, 'succeeded', op.error);
    const [account] = (await bundleOf(op)).accounts;
    assert.ok(account);
    assert.deepEqual(stateOfManifest(account).messages, { [gone.itemId]: gone.before });
    // Into its folder as the folder is now (renamed since, it keeps the new name), or as it was if gone since.
    const { id: _id, ...folder } = account.folders.find((f) => f.id === gone.before.folderId) ?? { id: 0 };
    const now = sim.current().mailboxes[gone.mailboxId]?.folders[gone.before.folderId];
    assert.deepEqual(folder, now ?? before.folders[gone.before.folderId]);
    assert.deepEqual(
      account.unrestored.map((u) => [u.id, u.reason]),
      [[999999, 'not-found']],
    );
    const report = await cli<RestoreReport>('report', op.id);
    assert.equal(report.totals.restored, 1);
    assert.equal(report.accounts[0]?.unrestored[0]?.reason, 'not-found');

    const chosen = await cli<Operation>('item', ref, String(gone.itemId), '--folder', 'Recovered', '--wait');
    const [into] = (await bundleOf(chosen)).accounts;
    assert.deepEqual(
      into?.folders.map((f) => [f.name, f.parentId]),
      [['Recovered', 1]],
    );
    assert.equal(into?.messages[0]?.folderId, into?.folders[0]?.id);
  });

  it('deleted account: restored as it was when it was deleted, found by the name it had', async () => {
    const deleted = history.deletedMailboxes[0];
    assert.ok(deleted, 'the workload deleted a mailbox');
    const name = nameAt(deleted.mailboxId, deleted.time - 1);
    assert.ok(name, 'an LDAP dump named the account before it was deleted');
    const op = await cli<Operation>('deleted-account', name, '--wait');
    assert.equal(op.state, 'succeeded', op.error);
    const bundle = await bundleOf(op);
    assert.deepEqual(await snapshotOfBundle(bundle), {
      [deleted.mailboxId]: comparableTruth(deleted.before),
    });
    const live = await offsite(['restore', 'deleted-account', 'nobody@example.com', '--wait'], cliEnv());
    assert.equal(live.code, 1);
    assert.match(live.stdout + live.stderr, /no deleted account is known as nobody@example.com/);
  });

  it('--skip-deletes: deletions, emptied folders and moves to Trash are ignored, as zmrestore -skipDeletes does', async () => {
    const last = [...history.deletions]
      .reverse()
      .find(
        (d) =>
          liveAtEnd(d.mailboxId) && history.deletions.filter((x) => x.mailboxId === d.mailboxId).length > 3,
      );
    assert.ok(last);
    const t = last.time + 1;
    const op = await cli<Operation>(
      `${serverId}:${last.mailboxId}`,
      '--at',
      new Date(t).toISOString(),
      '--skip-deletes',
      '--wait',
    );
    assert.equal(op.state, 'succeeded', op.error);
    const bundle = await bundleOf(op);
    const expected = comparableTruth(history.ignoringDeletes(last.mailboxId, t));
    assert.ok(
      Object.keys(expected.messages).length >
        Object.keys(sim.truthAt(t).mailboxes[last.mailboxId]?.messages ?? {}).length,
    );
    assert.deepEqual(await snapshotOfBundle(bundle), { [last.mailboxId]: expected });
  });

  it('LDAP only: the directory objects of a domain at an instant, as LDIF', async () => {
    const t = dumpTimes[Math.floor(dumpTimes.length / 2)] as number;
    const op = await cli<Operation>(
      'ldap',
      '--domain',
      'example.org',
      '--at',
      new Date(t).toISOString(),
      '--wait',
    );
    assert.equal(op.state, 'succeeded', op.error);
    const bundle = await bundleOf(op);
    const directory = bundle.manifest.directory;
    assert.ok(directory);
    const entries = parseLdif((await bundle.file(directory.file, directory.sha256)).toString('utf8'));
    const ids = (list: typeof entries) =>
      list
        .filter((e) => !/cn=cos,cn=zimbra$/i.test(e.dn))
        .map((e) => attr(e, 'zimbraId')[0])
        .filter(Boolean)
        .sort();
    const expected = sim.directoryAt(t).filter((e) => /dc=example,dc=org$/i.test(e.dn));
    assert.deepEqual(ids(entries), ids(expected));
    assert.ok(
      entries.every((e) => attr(e, 'userPassword').length === 0),
      'no password leaves the index',
    );
  });

  it('LDAP only: --apply loads the directory at an instant into an empty slapd, parents first; again adds nothing', async () => {
    const t = dumpTimes[Math.floor(dumpTimes.length / 2)] as number;
    const directory = await startSlapd({ workDir: join(work, 'slapd-apply') });
    try {
      const run = () =>
        offsite(
          [
            'restore',
            'ldap',
            '--domain',
            'example.org',
            '--at',
            new Date(t).toISOString(),
            '--apply',
            directory.url,
            '--json',
          ],
          { ...cliEnv(), OFFSITE_LDAP_PASSWORD: directory.password },
        );
      const first = await run();
      assert.equal(first.code, 0, first.stderr + first.stdout);
      const report = JSON.parse(first.stdout) as { operationId: string; added: number; entries: number };
      assert.ok(report.operationId);
      assert.equal(report.added, report.entries);
      // What slapd holds now (read back over LDAP) is the directory of the domain at t, by zimbraId.
      const client = new Client({ url: directory.url });
      await client.bind(directory.bindDn, directory.password);
      const held: DirectoryEntry[] = [];
      for await (const entry of readDirectory(client)) held.push(entry);
      await client.unbind();
      const ids = (list: DirectoryEntry[]) =>
        list
          .filter((e) => /dc=example,dc=org$/i.test(e.dn))
          .map((e) => attr(e, 'zimbraId')[0])
          .filter(Boolean)
          .sort();
      assert.deepEqual(ids(held), ids(sim.directoryAt(t)));
      const second = await run();
      assert.equal(second.code, 0, second.stderr);
      assert.equal((JSON.parse(second.stdout) as { added: number }).added, 0);
    } finally {
      await directory.stop();
    }
  });

  it('LDAP only --with-secrets: accounts come with the password hash of the dump in effect, and their users can bind with their passwords', async () => {
    const t = dumpTimes[Math.floor(dumpTimes.length / 3)] as number;
    const directory = await startSlapd({ workDir: join(work, 'slapd-secrets') });
    try {
      const out = await offsite(
        [
          'restore',
          'ldap',
          '--domain',
          'example.org',
          '--at',
          new Date(t).toISOString(),
          '--with-secrets',
          '--apply',
          directory.url,
          '--json',
        ],
        { ...cliEnv(), OFFSITE_LDAP_PASSWORD: directory.password },
      );
      assert.equal(out.code, 0, out.stderr + out.stdout);
      const report = JSON.parse(out.stdout) as { operationId: string; added: number };
      const bundle = await bundleOf(
        await client.request<Operation>('GET', `/operations/${report.operationId}`),
      );
      const entries = parseLdif(
        (await bundle.file('directory.ldif', bundle.manifest.directory?.sha256 as string)).toString('utf8'),
      );
      const expected = sim
        .directoryAt(t)
        .filter((e) => /dc=example,dc=org$/i.test(e.dn) && attr(e, 'userPassword').length > 0);
      assert.ok(expected.length > 0, 'the domain has accounts with passwords');
      assert.equal(bundle.manifest.directory?.secrets, expected.length);
      for (const account of expected) {
        const restored = entries.find((e) => attr(e, 'zimbraId')[0] === attr(account, 'zimbraId')[0]);
        assert.deepEqual(attr(restored as DirectoryEntry, 'userPassword'), attr(account, 'userPassword'));
        // slapd checks the restored {SSHA} hash: the user's own password binds.
        const user = new Client({ url: directory.url });
        await user.bind(account.dn, `password of ${attr(account, 'zimbraId')[0]}`);
        await user.unbind();
        const wrong = new Client({ url: directory.url });
        await assert.rejects(wrong.bind(account.dn, 'not the password'));
        await wrong.unbind().catch(() => undefined);
      }
    } finally {
      await directory.stop();
    }
  });

  it('rebuild: the directory, then every account (mail, calendars, contacts) at an instant into new servers; again adds nothing', async () => {
    const t = (history.times[Math.floor(history.times.length * 0.8)] as number) + 1;
    const truth = sim.truthAt(t);
    const admin = { user: 'rebuild-admin', password: 'rebuild-secret-4' };
    const [directory, dovecot, dav] = await Promise.all([
      startSlapd({ workDir: join(work, 'rebuild-slapd') }),
      startDovecot(join(work, 'rebuild-dovecot'), { admin }),
      startRadicale(join(work, 'rebuild-radicale')),
    ]);
    dovecots.push(dovecot);
    try {
      const davHost = dav.url.replace('http://', '');
      const run = () =>
        offsite(
          [
            'rebuild',
            '--server',
            serverId,
            '--at',
            new Date(t).toISOString(),
            '--ldap',
            directory.url,
            '--mail',
            `imap://127.0.0.1:${dovecot.port}`,
            '--calendar',
            `caldav://${davHost}/`,
            '--contacts',
            `carddav://${davHost}/`,
            '--admin-user',
            admin.user,
            '--dav-user',
            dav.user,
            '--state',
            join(work, 'rebuild-state.json'),
            '--insecure',
            '--json',
          ],
          {
            ...cliEnv(),
            OFFSITE_LDAP_PASSWORD: directory.password,
            OFFSITE_IMAP_PASSWORD: admin.password,
            OFFSITE_DAV_PASSWORD: dav.password,
          },
        );
      const first = await run();
      assert.equal(first.code, 0, first.stderr + first.stdout);
      const report = JSON.parse(first.stdout) as RebuildReport;
      process.stdout.write(
        `# rebuild: ${JSON.stringify({ ...report, directory: { ...report.directory, existing: report.directory.existing.length } })}\n`,
      );
      assert.equal(report.directory.added, report.directory.entries);
      assert.ok(report.directory.entries > 0);
      assert.equal(report.accounts, Object.keys(truth.mailboxes).length);
      const messages = Object.values(truth.mailboxes).reduce((n, m) => n + Object.keys(m.messages).length, 0);
      assert.equal(report.mail?.appended, messages);
      // Each account's mailbox on the new IMAP server, read by the account itself, is the truth at t.
      const bundle = await bundleOf(
        await client.request<Operation>('GET', `/operations/${report.mailOperation}`),
      );
      for (const account of bundle.accounts)
        assert.deepEqual(
          listing(dovecot, account.target),
          expectedListing(truth.mailboxes[account.account.mailboxId] as MailboxState),
          `IMAP listing of ${account.target}`,
        );
      const calendarObjects = bundle.accounts.reduce((n, a) => n + a.calendar.length, 0);
      assert.ok(calendarObjects > 0, 'the workload made appointments and tasks');
      assert.equal(report.calendars?.failed, 0);
      assert.equal(report.calendars?.added, calendarObjects);
      assert.equal(report.contacts?.failed, 0);
      assert.equal(
        report.contacts?.added,
        bundle.accounts.reduce((n, a) => n + a.contacts.length, 0),
      );

      const again = await run();
      assert.equal(again.code, 0, again.stderr);
      const second = JSON.parse(again.stdout) as RebuildReport;
      assert.equal(second.mailOperation, report.mailOperation, 'the restores are reused');
      assert.deepEqual(
        [second.directory.added, second.mail?.appended, second.calendars?.added, second.contacts?.added],
        [0, 0, 0, 0],
      );
      assert.equal(second.mail?.alreadyThere, messages);
    } finally {
      await Promise.all([directory.stop(), dav.stop()]);
    }
  });

  it("rebuild --zimbra: the directory into slapd, every account's items through Zimbra's import; again adds nothing", async () => {
    const t = (history.times[Math.floor(history.times.length * 0.7)] as number) + 1;
    const truth = sim.truthAt(t);
    const directory = await startSlapd({ workDir: join(work, 'rebuild-zimbra-slapd') });
    const zimbra = await startZimbraStub({
      admin: 'admin@example.com',
      password: 'zimbra-admin-5',
      accounts: 'any',
    });
    try {
      const run = () =>
        offsite(
          [
            'rebuild',
            '--server',
            serverId,
            '--at',
            new Date(t).toISOString(),
            '--ldap',
            directory.url,
            '--zimbra',
            `zimbra://admin@example.com@127.0.0.1:${zimbra.port}?admin-port=${zimbra.port}`,
            '--state',
            join(work, 'rebuild-zimbra-state.json'),
            '--insecure',
            '--json',
          ],
          {
            ...cliEnv(),
            OFFSITE_LDAP_PASSWORD: directory.password,
            OFFSITE_ZIMBRA_PASSWORD: 'zimbra-admin-5',
          },
        );
      const first = await run();
      assert.equal(first.code, 0, first.stderr + first.stdout);
      const report = JSON.parse(first.stdout) as RebuildReport;
      process.stdout.write(`# rebuild --zimbra: ${JSON.stringify(report.zimbra)}\n`);
      const bundle = await bundleOf(
        await client.request<Operation>('GET', `/operations/${report.mailOperation}`),
      );
      for (const account of bundle.accounts) {
        const mailbox = zimbra.mailboxes.get(account.target);
        const state = truth.mailboxes[account.account.mailboxId] as MailboxState;
        // Zimbra's import keeps one of two messages with the same digest in one folder (a copy moved next to
        // its source, as a conversation's move does): what it can hold is one per folder and digest.
        assert.equal(mailbox?.messages.length, importable(state), `messages of ${account.target}`);
        assert.equal(mailbox?.calendar.size, account.calendar.length, `calendar items of ${account.target}`);
        assert.equal(mailbox?.contacts.length, account.contacts.length, `contacts of ${account.target}`);
        assert.equal(
          [...(mailbox?.documents.values() ?? [])].reduce((n, v) => n + v.length, 0),
          account.documents.reduce((n, d) => n + d.revisions.length, 0),
          `document revisions of ${account.target}`,
        );
      }
      assert.equal(report.zimbra?.failed, 0);
      const comments = bundle.accounts.reduce(
        (n, a) => n + a.notes.filter((x) => x.type === 'comment').length,
        0,
      );
      assert.equal(
        report.zimbra?.notApplied,
        comments,
        "only comments, which Zimbra's import does not read, are left out",
      );
      const again = await run();
      assert.equal(again.code, 0, again.stderr);
      const second = JSON.parse(again.stdout) as RebuildReport;
      assert.equal(second.mailOperation, report.mailOperation, 'the restores are reused');
      for (const account of bundle.accounts) {
        const state = truth.mailboxes[account.account.mailboxId] as MailboxState;
        assert.equal(
          zimbra.mailboxes.get(account.target)?.messages.length,
          importable(state),
          `resolve=skip: ${account.target} gained nothing`,
        );
      }
    } finally {
      await Promise.all([directory.stop(), zimbra.close()]);
    }
  });

  it('LDAP only: a domain the directory did not have is refused, as an unknown account is', async () => {
    const created = await client.request<Operation>('POST', '/operations', {
      kind: 'restore',
      params: { mode: 'ldap', domains: ['nowhere.example'] },
    });
    const op = await waitFinished(created.id);
    assert.equal(op.state, 'failed');
    assert.match(op.error ?? '', /the directory had no domain nowhere\.example/);
  });

  it('a stopped restore stops its workers', async () => {
    const t = history.times.at(-1) as number;
    const created = await client.request<Operation>('POST', '/operations', {
      kind: 'restore',
      params: { mode: 'point-in-time', all: true, at: t, chunkItems: 1 },
    });
    await eventually(
      async () =>
        (await client.request<Operation>('GET', `/operations/${created.id}`)).state === 'running'
          ? true
          : undefined,
      30_000,
      'the restore to start',
    );
    const stopped = await cli<Operation>('stop', created.id);
    assert.equal(stopped.state, 'stopped');
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const after = await client.request<Operation>('GET', `/operations/${created.id}`);
    assert.equal(after.state, 'stopped');
    assert.ok(after.done < after.total, `work stopped early (${after.done} of ${after.total} items)`);
    const results = await cloud.clients.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `operations/${created.id}/results/` }),
    );
    assert.ok((results.KeyCount ?? 0) < after.total);
  });

  it("a lost pack and a damaged frame fail exactly their bodies' items, with the reason; everything else is restored", async () => {
    const t = history.times.at(-1) as number;
    const truth = sim.truthAt(t);
    const all = Object.values(truth.mailboxes).flatMap((m) => Object.values(m.messages));
    // Document revisions' bodies lie in the same packs: a lost pack fails them the same way.
    const revisions = Object.values(truth.mailboxes).flatMap((m) =>
      Object.values(m.documents).flatMap((d) => d.revisions),
    );
    const shas = [...new Set(all.map((m) => m.sha256))];
    const located = new Map<string, BodyLocation>();
    for (const sha256 of new Set([...shas, ...revisions.map((r) => r.sha256)])) {
      const at = await bodyLocation(cloud, sha256);
      assert.ok(at, `body ${sha256} is located`);
      located.set(sha256, at);
    }
    const packs = [...new Set([...located.values()].map((l) => l.pack))];
    assert.ok(packs.length >= 2, 'the bodies are in several packs');
    // One pack gone: every body located there is lost. In another pack, one frame damaged: only that body.
    const lostPack = packs[0] as string;
    const lost = new Set([...located].filter(([, l]) => l.pack === lostPack).map(([s]) => s));
    const sharedPack = shas.filter((s) => !lost.has(s)).map((s) => located.get(s)?.pack);
    const damagedPack = sharedPack.find((p) => sharedPack.filter((q) => q === p).length >= 2) as string;
    assert.ok(damagedPack, 'a pack holding two bodies of the instant');
    const damaged = shas.find((s) => located.get(s)?.pack === damagedPack) as string;
    const neighbour = shas.find((s) => s !== damaged && located.get(s)?.pack === damagedPack) as string;
    await damageFrame(cloud, located.get(damaged) as BodyLocation);
    await cloud.clients.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: lostPack }));
    const op = await restore({ mode: 'point-in-time', all: true, at: t });
    assert.equal(op.state, 'succeeded', op.error);
    const report = await cli<RestoreReport>('report', op.id);
    const failed = report.accounts.flatMap((a) => a.unrestored);
    const expected = [...all, ...revisions].filter((m) => lost.has(m.sha256) || m.sha256 === damaged);
    assert.equal(
      failed.length,
      expected.length,
      `unrestored ${JSON.stringify(failed.map((u) => [u.id, u.kind, u.reason]))}, expected the items with bodies ${JSON.stringify(expected.map((m) => m.sha256.slice(0, 12)))}`,
    );
    for (const u of failed) {
      if (u.reason === 'read-error')
        assert.match(u.detail, new RegExp(`pack ${lostPack} holding body .* is missing`));
      else {
        assert.ok(['digest-mismatch', 'broken-item'].includes(u.reason), u.reason);
        assert.match(u.detail, new RegExp(`body ${damaged} in pack ${damagedPack}`));
      }
    }
    assert.equal(
      failed.filter((u) => u.reason === 'read-error').length,
      expected.filter((m) => lost.has(m.sha256)).length,
    );
    // Restored counts every body copied: messages and document revisions.
    assert.equal(report.totals.restored, all.length + revisions.length - expected.length);
    const bundle = await bundleOf(op);
    const restored = new Set(bundle.accounts.flatMap((a) => a.messages.map((m) => m.sha256)));
    assert.ok(![...restored].some((s) => lost.has(s) || s === damaged));
    assert.ok(restored.has(neighbour), "the damaged frame's neighbour in its pack is restored");
  });

  it('refuses what it cannot do, saying why', async () => {
    const both = await offsite(['restore', 'x@example.com', '--at', '2026-11-20', '--seq', '3'], cliEnv());
    assert.equal(both.code, 2);
    assert.match(both.stderr, /a time or a redo sequence, not both/);
    const noIds = await offsite(['restore', 'item', 'x@example.com'], cliEnv());
    assert.equal(noIds.code, 2);
    assert.match(noIds.stderr, /missing required argument 'itemId'/);
    const badIds = await offsite(['restore', 'item', 'x@example.com', '7', 'seven'], cliEnv());
    assert.match(badIds.stderr, /takes an account and item ids/);
    const flag = await offsite(['restore', 'ldap', '--all', '--skip-deletes'], cliEnv());
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /unknown option '--skip-deletes'/);
    const target = await offsite(['restore', 'apply', '--from-dir', work, '--to', 'ftp://host'], cliEnv());
    assert.equal(target.code, 2);
    assert.match(target.stderr, /unknown target "ftp:\/\/host"/);
  });
});

/**
 * The messages Zimbra's import can hold: it keeps one of two with the same digest in one folder (a copy moved
 * next to its source, as moving their conversation does), so one per folder and digest.
 */
function importable(state: MailboxState): number {
  return new Set(Object.values(state.messages).map((m) => `${m.folderId} ${m.digest}`)).size;
}
