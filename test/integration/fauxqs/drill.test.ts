// Restore drills through the whole pipeline: the control API starts one (the CLI), the planner picks and
// plans, the workers copy and read back, the last one compares with the index and signs. What the drill
// attests is checked against the simulator's ground truth, its signature by openssl as well as by
// `offsite drill show --verify`; a tampered attestation and a damaged body are caught.

import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  type DrillAccountEvidence,
  type DrillAttestation,
  type ItemCounts,
  type SignedAttestation,
  signedStatement,
} from '#core/drill/drill-attestation.ts';
import type { MailboxState } from '#core/mail-snapshot.ts';
import type { Operation } from '#core/operation.ts';
import { seededRandom } from '#core/seeded-random.ts';
import type { BodyLocation } from '#core/storage/body-location.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { startTestCloud } from '#test/integration/harness.ts';
import { LOCAL_AWS_ENV, offsite, offsiteJson } from '#test/support/agent-cli.ts';
import { forceActions, RARE_ACTIONS } from '#test/support/forced-actions.ts';
import { useLocalIndex } from '#test/support/index-checks.ts';
import { localControl } from '#test/support/local-control.ts';
import { bodyLocation, damageFrame, objectBytes } from '#test/support/packed-bodies.ts';
import { randomInstants } from '#test/support/random-instants.ts';
import { shipSimulatedHost } from '#test/support/ship-and-index.ts';
import { type TruthHistory, truthHistory } from '#test/support/truth-history.ts';

const serverId = 'srv-drill';

/** What a mailbox of the ground truth holds, counted as a drill counts. */
function countsOf(mailbox: MailboxState): ItemCounts {
  const calendar = Object.values(mailbox.calendar);
  return {
    messages: Object.keys(mailbox.messages).length,
    contacts: Object.keys(mailbox.contacts).length,
    appointments: calendar.filter((c) => c.type === 'appointment').length,
    tasks: calendar.filter((c) => c.type === 'task').length,
    documents: Object.keys(mailbox.documents).length,
    notes: Object.keys(mailbox.notes ?? {}).length,
  };
}

/** The bodies a restore of the mailbox copies: one per message, one per document revision. */
const bodiesOf = (mailbox: MailboxState) =>
  Object.keys(mailbox.messages).length +
  Object.values(mailbox.documents).reduce((n, d) => n + d.revisions.length, 0);

describe('restore drills', () => {
  let cloud: LocalCloud;
  let sim: MailHostSimulator;
  let history: TruthHistory;
  let bucket: string;
  const work = mkdtempSync(join(tmpdir(), 'offsite-drill-'));
  const env = () => ({ OFFSITE_CONTROL_URL: cloud.outputs.ControlUrl as string });
  const drill = <T>(...args: string[]) => offsiteJson<T>(['drill', ...args], env());
  const show = (id: string, ...args: string[]) =>
    drill<{ key: string; verified: boolean | null; problem?: string; attestation: DrillAttestation }>(
      'show',
      id,
      ...args,
    );
  /** The evidence of an account against the ground truth at its instant. */
  function assertMatchesTruth(account: DrillAccountEvidence): void {
    const mailbox = sim.truthAt(Date.parse(account.at)).mailboxes[account.mailboxId];
    assert.ok(mailbox, `${account.account} existed at ${account.at}`);
    assert.deepEqual(account.expected, countsOf(mailbox), `${account.account} expected at ${account.at}`);
    assert.deepEqual(account.restored, countsOf(mailbox), `${account.account} restored at ${account.at}`);
    assert.equal(account.bodiesVerified, bodiesOf(mailbox), `${account.account}: every body read back`);
    assert.deepEqual(account.mismatches, []);
  }

  before(async () => {
    cloud = await startTestCloud();
    useLocalIndex(cloud);
    bucket = cloud.outputs.BackupBucketName as string;
    sim = new MailHostSimulator({
      hostDir: join(work, 'host'),
      seed: 41,
      accounts: 4,
      rolloverBytes: 256 * 1024,
      tickMaxMs: 120_000,
    });
    sim.run(400);
    for (const action of ['create-appointment', 'create-task', 'save-document', 'create-contact'] as const)
      if (!sim.counts[action]) sim.act(action);
    forceActions(sim, RARE_ACTIONS);
    sim.run(100);
    sim.close();
    history = truthHistory(sim);
    await shipSimulatedHost(
      cloud,
      { serverId, hostDir: sim.hostDir, workDir: work, segmentKiB: 64 },
      240_000,
    );
  });
  after(async () => {
    await cloud?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  let passed: Operation;

  it('restores accounts picked at random, matches the ground truth item for item, and signs what it found', async () => {
    const run = await drill<Operation>('run', '--accounts', '3', '--days', '3650', '--seed', '7', '--wait');
    passed = run.body;
    assert.equal(run.code, 0, `${passed.state}: ${passed.error}`);
    assert.equal(passed.state, 'succeeded');
    assert.equal(passed.result?.outcome, 'passed');
    assert.match(
      String(passed.result?.attestation),
      new RegExp(`^drills/\\d{4}-\\d{2}-\\d{2}/${passed.id}\\.json$`),
    );
    const shown = await show(passed.id, '--verify');
    assert.equal(shown.code, 0);
    assert.equal(shown.body.verified, true);
    const a = shown.body.attestation;
    assert.equal(a.outcome, 'passed');
    // Three of the accounts live now (the workload deletes some), each once.
    const live = Object.keys(sim.truthAt(history.times.at(-1) as number).mailboxes).map(Number);
    assert.ok(live.length >= 2, 'the workload leaves accounts to drill');
    assert.equal(a.accounts.length, Math.min(3, live.length));
    assert.equal(new Set(a.accounts.map((x) => x.mailboxId)).size, a.accounts.length, 'different accounts');
    assert.ok(
      a.accounts.every((x) => live.includes(x.mailboxId)),
      'only live accounts',
    );
    for (const account of a.accounts) assertMatchesTruth(account);
    const items = a.accounts.reduce((n, x) => n + Object.values(x.restored).reduce((m, c) => m + c, 0), 0);
    assert.ok(items > 0);
    assert.equal(a.totals.items, items);
    assert.equal(passed.progress?.verified, a.totals.bodiesVerified);
    // The same seed against the same index picks the same accounts (the instants move with the window's end).
    const again = await drill<Operation>('run', '--accounts', '3', '--days', '3650', '--seed', '7', '--wait');
    const second = (await show(again.body.id)).body.attestation;
    assert.deepEqual(
      second.accounts.map((x) => x.mailboxId),
      a.accounts.map((x) => x.mailboxId),
    );
  });

  it('restores named accounts at instants inside their history exactly as they were then', async () => {
    // `npm run soak` runs many (OFFSITE_DRILLS); `npm test` one.
    const drills = Number(process.env.OFFSITE_DRILLS ?? 1);
    const totals = { drills: 0, accounts: 0, items: 0, bodiesVerified: 0, bytesVerified: 0 };
    const started = Date.now();
    for (let d = 0; d < drills; d++) {
      const picks = randomInstants(history.times, 3, seededRandom(3 + d)).flatMap((t) => {
        const ids = Object.keys(sim.truthAt(t).mailboxes);
        const id = ids[Math.floor(t % ids.length)];
        return id ? [{ t, pick: `${serverId}:${id}=${new Date(t).toISOString()}` }] : [];
      });
      assert.ok(picks.length >= 1, 'an account that existed at the instants');
      const run = await drill<Operation>('run', ...picks.flatMap((p) => ['--pick', p.pick]), '--wait');
      assert.equal(run.code, 0, run.body.error);
      const { attestation } = (await show(run.body.id, '--verify')).body;
      assert.equal(attestation.accounts.length, picks.length);
      for (const account of attestation.accounts) assertMatchesTruth(account);
      assert.deepEqual(
        attestation.accounts.map((x) => x.at),
        picks.map((p) => new Date(p.t).toISOString()),
      );
      totals.drills++;
      totals.accounts += attestation.totals.accounts;
      totals.items += attestation.totals.items;
      totals.bodiesVerified += attestation.totals.bodiesVerified;
      totals.bytesVerified += attestation.totals.bytesVerified;
    }
    process.stdout.write(
      `# soak ${JSON.stringify({ step: 'restore drills at random instants', ...totals, mismatches: 0, seconds: Math.round((Date.now() - started) / 1000) })}\n`,
    );
  });

  it('keeps an attestation that openssl verifies with the public key the control API gives', async () => {
    const { key: objectKey } = (await show(passed.id)).body;
    // Read with the AWS CLI, not our client: the object as anyone with the bucket would see it.
    // (Asynchronously: fauxqs answers from this process.)
    const { stdout: raw } = await promisify(execFile)(
      'aws',
      ['s3', 'cp', `s3://${bucket}/${objectKey}`, '-', '--endpoint-url', cloud.endpoints.s3],
      { env: { ...process.env, ...LOCAL_AWS_ENV } },
    );
    const envelope = JSON.parse(raw) as SignedAttestation;
    const { publicKey, keyId } = await localControl(cloud).call('drillKey', {});
    assert.equal(envelope.keyId, keyId);
    const dir = mkdtempSync(join(work, 'openssl-'));
    writeFileSync(join(dir, 'statement'), signedStatement(Buffer.from(envelope.payload, 'base64')));
    writeFileSync(join(dir, 'signature'), Buffer.from(envelope.signature, 'base64'));
    writeFileSync(join(dir, 'key.pem'), publicKey);
    const openssl = (statement: string) =>
      spawnSync(
        'openssl',
        ['dgst', '-sha256', '-verify', join(dir, 'key.pem'), '-signature', join(dir, 'signature'), statement],
        {
          encoding: 'utf8',
        },
      );
    const ok = openssl(join(dir, 'statement'));
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /Verified OK/);
    // The statement names the payload's digest: another payload's statement does not verify.
    writeFileSync(join(dir, 'other'), signedStatement(Buffer.from(`${envelope.payload}x`)));
    assert.notEqual(openssl(join(dir, 'other')).status, 0);
    // And the PEM an auditor exported is taken instead of the deployment's.
    const withFile = await show(passed.id, '--verify', '--public-key', join(dir, 'key.pem'));
    assert.equal(withFile.body.verified, true);
  });

  it('refuses a tampered attestation: show --verify and list --verify exit 1 and say so', async () => {
    const { key } = (await show(passed.id)).body;
    const envelope = JSON.parse((await objectBytes(cloud, key)).toString('utf8')) as SignedAttestation;
    const payload = Buffer.from(envelope.payload, 'base64').toString('utf8');
    // A forger turns a count; the signature stays the one the drill made.
    const forged = payload.replace(
      /"bodiesVerified": (\d+)/,
      (_, n: string) => `"bodiesVerified": ${Number(n) + 1}`,
    );
    assert.notEqual(forged, payload);
    await cloud.clients.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: JSON.stringify({ ...envelope, payload: Buffer.from(forged).toString('base64') }),
      }),
    );
    const shown = await show(passed.id, '--verify');
    assert.equal(shown.code, 1);
    assert.equal(shown.body.verified, false);
    assert.match(shown.body.problem ?? '', /signature does not match/);
    const human = await offsite(['drill', 'show', passed.id, '--verify'], env());
    assert.equal(human.code, 1);
    assert.match(human.stdout, /does NOT verify/);
    // Every drill this run made (the soak makes more than the default 30).
    const listed = await drill<{ drills: { drillId: string; verified: true | string }[] }>(
      'list',
      '--verify',
      '--limit',
      '1000',
    );
    assert.equal(listed.code, 1);
    const row = listed.body.drills.find((d) => d.drillId === passed.id);
    assert.match(String(row?.verified), /signature does not match/);
    assert.ok(listed.body.drills.filter((d) => d.drillId !== passed.id).every((d) => d.verified === true));
    // Put back, it verifies again.
    await cloud.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(envelope) }),
    );
    assert.equal((await show(passed.id, '--verify')).body.verified, true);
  });

  it('fails a drill whose body is damaged in the store, naming exactly the items of that body, and alarms', async () => {
    const t = history.times.at(-1) as number;
    const [mailboxId, mailbox] = Object.entries(sim.truthAt(t).mailboxes).find(
      ([, m]) => Object.keys(m.messages).length >= 2,
    ) as [string, MailboxState];
    const [, message] = Object.entries(mailbox.messages)[0] as [string, MailboxState['messages'][string]];
    const location = (await bodyLocation(cloud, message.sha256)) as BodyLocation;
    assert.ok(location, 'the body is located in a pack');
    await damageFrame(cloud, location);
    const victims = Object.entries(mailbox.messages)
      .filter(([, m]) => m.sha256 === message.sha256)
      .map(([id]) => Number(id));
    const run = await drill<Operation>(
      'run',
      '--pick',
      `${serverId}:${mailboxId}=${new Date(t).toISOString()}`,
      '--wait',
    );
    assert.equal(run.code, 1);
    assert.equal(run.body.state, 'failed');
    assert.match(run.body.error ?? '', new RegExp(`message ${victims[0]} of .* \\(unrestored\\)`));
    const shown = await show(run.body.id, '--verify');
    assert.equal(shown.code, 1, 'a failed drill exits 1 even with a valid signature');
    assert.equal(shown.body.verified, true);
    const [account] = shown.body.attestation.accounts as [DrillAccountEvidence];
    assert.equal(shown.body.attestation.outcome, 'failed');
    assert.deepEqual(
      account.mismatches.map((m) => [m.kind, m.id, m.reason]),
      victims.map((id) => ['message', id, 'unrestored']),
    );
    assert.equal(account.bodiesVerified, bodiesOf(mailbox) - victims.length, 'every other body is verified');
    // The worker counted it for the alarm (CloudWatch embedded metric format in its log).
    const log = readdirSync(join(cloud.workDir, 'logs'))
      .filter((f) => f.startsWith('Worker'))
      .map((f) => readFileSync(join(cloud.workDir, 'logs', f), 'utf8'))
      .join('');
    assert.match(log, /"DrillsFailed":1/);
    const listed = await drill<{ drills: { drillId: string; outcome: string }[] }>('list');
    assert.equal(listed.code, 1, 'list exits 1 while a failed drill is listed');
    assert.equal(listed.body.drills[0]?.drillId, run.body.id, 'newest first');
    assert.equal(listed.body.drills[0]?.outcome, 'failed');
  });

  it('refuses what it cannot do, saying why', async () => {
    const noEquals = await offsite(['drill', 'run', '--pick', 'alice@example.com'], env());
    assert.equal(noEquals.code, 2);
    assert.match(noEquals.stderr, /expected ACCOUNT=TIME/);
    const both = await offsite(
      ['drill', 'run', '--pick', `${serverId}:1=2026-11-20`, '--accounts', '2'],
      env(),
    );
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--pick names the accounts/);
    const tooMany = await offsite(['drill', 'run', '--accounts', '1000'], env());
    assert.equal(tooMany.code, 2);
    assert.match(tooMany.stderr, /accounts/);
    // Before the account existed: the drill fails at once, saying so.
    const early = await drill<Operation>('run', '--pick', `${serverId}:2=2020-01-01T00:00:00Z`, '--wait');
    assert.equal(early.code, 1);
    assert.match(early.body.error ?? '', /did not exist at the restore point/);
    const unknown = await offsite(['drill', 'show', '00000000-0000-4000-8000-000000000000'], env());
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no attestation of drill/);
  });
});
