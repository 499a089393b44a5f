// moto only: S3 legal holds need Object Lock, which fauxqs does not have (it would take a legal-hold request
// for the object's new body). A legal hold on an account flags every object its history needs, read back here
// by the AWS CLI; an object two held accounts need stays flagged until both holds are released.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectLegalHoldCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { ControlClient } from '#agent/control-client.ts';
import { indexKeys } from '#core/index-keys.ts';
import type { MailSnapshot } from '#core/mail-snapshot.ts';
import type { Operation } from '#core/operation.ts';
import { readTrailer } from '#core/storage/body-pack.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { operationEnded, startTestCloud } from '#test/integration/harness.ts';
import { LOCAL_AWS_ENV, offsite } from '#test/support/agent-cli.ts';
import { indexTable, useLocalIndex } from '#test/support/index-checks.ts';
import { shipLdapDumps } from '#test/support/ldap-dumps.ts';
import { localControl } from '#test/support/local-control.ts';
import { bodyLocation } from '#test/support/packed-bodies.ts';
import { shipSimulatedHost } from '#test/support/ship-and-index.ts';

const serverId = 'srv-legal-hold';

describe('legal holds as S3 legal-hold flags (Object Lock on, the default)', () => {
  let cloud: LocalCloud;
  let client: ControlClient;
  let bucket: string;
  let first: string;
  let second: string;
  const work = mkdtempSync(join(tmpdir(), 'offsite-legal-hold-'));
  const env = () => ({ OFFSITE_CONTROL_URL: cloud.outputs.ControlUrl as string });

  let current: MailSnapshot;
  const finished = (id: string) => operationEnded(client, id, 180_000);
  /** The legal-hold status of the object's current version: ON, OFF, or none ever set. */
  async function legalHold(key: string): Promise<string> {
    try {
      const out = await cloud.clients.s3.send(new GetObjectLegalHoldCommand({ Bucket: bucket, Key: key }));
      return out.LegalHold?.Status ?? 'none';
    } catch (error) {
      if ((error as Error).name === 'NoSuchObjectLockConfiguration') return 'none';
      throw error;
    }
  }
  /** The objects the index says a hold on the account flagged. */
  async function flaggedFor(accountId: string): Promise<string[]> {
    const { Items = [] } = await useLocalIndex(cloud).send(
      new QueryCommand({
        TableName: indexTable(cloud),
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': indexKeys.heldBy(accountId) },
      }),
    );
    return Items.map((i) => i.sk as string).sort();
  }
  /** The bodies a pack holds, by its trailer. */
  async function bodiesIn(key: string): Promise<string[]> {
    const got = await cloud.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = Buffer.from(
      await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    return readTrailer(bytes, bytes.length).map((b) => b.sha256);
  }
  /** The bodies of the account's messages and contacts now, by the simulator. */
  function bodiesOfAccount(accountId: string): string[] {
    const mailbox = Object.values(current.mailboxes).find((m) => m.accountId === accountId);
    return [
      ...Object.values(mailbox?.messages ?? {}).map((m) => m.sha256),
      ...Object.values(mailbox?.contacts ?? {}).flatMap((c) => (c.sha256 ? [c.sha256] : [])),
    ];
  }
  async function listKeys(prefix: string): Promise<string[]> {
    const out = await cloud.clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return (out.Contents ?? []).map((o) => o.Key as string);
  }
  async function hold(command: 'add' | 'release', accountId: string): Promise<Operation> {
    const args =
      command === 'add' ? ['hold', 'add', accountId, '--reason', 'case 7'] : ['hold', 'release', accountId];
    const out = await offsite([...args, '--json'], env());
    assert.equal(out.code, 0, out.stderr);
    const { operationId } = JSON.parse(out.stdout) as { operationId: string };
    const op = await finished(operationId);
    assert.equal(op.state, 'succeeded', op.error);
    assert.equal(op.kind, 'legal-hold');
    return op;
  }

  before(async () => {
    cloud = await startTestCloud();
    bucket = cloud.outputs.BackupBucketName as string;
    client = localControl(cloud);
    const sim = new MailHostSimulator({
      hostDir: join(work, 'host'),
      seed: 41,
      accounts: 3,
      tickMaxMs: 60_000,
    });
    sim.run(150);
    sim.close();
    await shipSimulatedHost(
      cloud,
      { serverId, hostDir: sim.hostDir, workDir: work, segmentKiB: 64 },
      240_000,
    );
    const times = sim.commitTimes();
    await shipLdapDumps(cloud, serverId, [times.at(-1) as number], (t) => sim.directoryAt(t));
    current = sim.current();
    [first, second] = Object.values(current.mailboxes).map((m) => m.accountId) as [string, string];
  });
  after(async () => {
    await cloud?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("a hold flags the account's redo, dumps and bodies, and nothing of the others' alone", async () => {
    const op = await hold('add', first);
    const flagged = await flaggedFor(first);
    process.stdout.write(`# hold on one account: ${JSON.stringify(op.progress)}\n`);
    assert.ok(
      flagged.some((k) => k.startsWith(`servers/${serverId}/redo/`)),
      'redo segments are held',
    );
    assert.ok(
      flagged.some((k) => k.startsWith(`servers/${serverId}/ldap/`)),
      'LDAP dumps are held',
    );
    // Bodies are held by their packs: every body the account has now is in a flagged pack.
    const heldPacks = flagged.filter((k) => k.startsWith('packs/'));
    assert.ok(heldPacks.length > 0, 'message bodies are held');
    const inHeld = new Set((await Promise.all(heldPacks.map(bodiesIn))).flat());
    const mine = bodiesOfAccount(first);
    const cards = Object.values(current.mailboxes).find((m) => m.accountId === first)?.contacts ?? {};
    assert.ok(
      Object.values(cards).some((c) => c.sha256),
      'the account has contacts with bodies: they are held too',
    );
    for (const sha256 of mine) assert.ok(inHeld.has(sha256), `body ${sha256} is in a held pack`);
    assert.equal(op.progress?.objectsHeld, flagged.length);
    assert.equal(op.progress?.objectsMissing ?? 0, 0);
    for (const key of flagged) assert.equal(await legalHold(key), 'ON', key);
    // An independent reader sees the flag.
    const { stdout } = await promisify(execFile)(
      'aws',
      [
        's3api',
        'get-object-legal-hold',
        '--bucket',
        bucket,
        '--key',
        flagged[0] as string,
        '--endpoint-url',
        cloud.endpoints.s3,
      ],
      { env: LOCAL_AWS_ENV },
    );
    assert.equal((JSON.parse(stdout) as { LegalHold: { Status: string } }).LegalHold.Status, 'ON');
    // What nobody on hold needs is not flagged: the other accounts' own bodies, an operation's objects.
    const heldKeys = new Set(flagged);
    const others = (await listKeys('packs/')).filter((k) => !heldKeys.has(k));
    for (const key of others) {
      assert.notEqual(await legalHold(key), 'ON', key);
      // (A pack may hold a stale copy of a body located elsewhere: only where bodies are read from counts.)
      for (const sha256 of await bodiesIn(key))
        if (mine.includes(sha256))
          assert.notEqual(
            (await bodyLocation(cloud, sha256))?.pack,
            key,
            `${key} is where none of its bodies is read`,
          );
    }
    assert.notEqual(await legalHold(`operations/${op.id}/legal-hold/000000.json`), 'ON');
    // Asking again finds every object flagged already.
    const again = await client.request<Operation>('POST', '/operations', {
      kind: 'legal-hold',
      params: { accounts: [first] },
    });
    const repeated = await finished(again.id);
    assert.equal(repeated.state, 'succeeded', repeated.error);
    assert.equal(repeated.total, 0);
    assert.match(String(repeated.result?.note), /flagged as the holds need/);
  });

  it('a held version cannot be deleted, not even by bypassing the GOVERNANCE retention', async () => {
    const [key] = (await flaggedFor(first)).filter((k) => k.startsWith('packs/'));
    assert.ok(key);
    const head = await cloud.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    await assert.rejects(
      cloud.clients.s3.send(
        new DeleteObjectCommand({
          Bucket: bucket,
          Key: key,
          VersionId: head.VersionId,
          BypassGovernanceRetention: true,
        }),
      ),
      (e: unknown) => (e as { name?: string }).name === 'AccessDenied',
    );
  });

  it('an object two holds need stays flagged until the second is released', async () => {
    await hold('add', second);
    const both = new Set(await flaggedFor(second));
    const common = (await flaggedFor(first)).filter((k) => both.has(k));
    const firstOnly = (await flaggedFor(first)).filter((k) => !both.has(k));
    assert.ok(common.length > 0 && firstOnly.length > 0, 'the redo is shared, some bodies are not');

    const released = await hold('release', first);
    assert.equal(released.progress?.objectsReleased, firstOnly.length);
    assert.equal(released.progress?.objectsStillHeld, common.length);
    assert.deepEqual(await flaggedFor(first), []);
    for (const key of firstOnly) assert.equal(await legalHold(key), 'OFF', key);
    for (const key of common) assert.equal(await legalHold(key), 'ON', key);

    await hold('release', second);
    for (const key of [...both]) assert.equal(await legalHold(key), 'OFF', key);
    const { Items = [] } = await useLocalIndex(cloud).send(
      new QueryCommand({
        TableName: indexTable(cloud),
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': indexKeys.heldObject(common[0] as string) },
      }),
    );
    assert.deepEqual(Items, [], 'no holder record is left');
  });

  it('the audit trail says who placed and released each hold', async () => {
    const out = await offsite(['hold', 'audit', '--json'], env());
    assert.equal(out.code, 0, out.stderr);
    const { audit } = JSON.parse(out.stdout) as {
      audit: { action: string; accountId?: string; by: string }[];
    };
    for (const accountId of [first, second])
      assert.deepEqual(
        audit.filter((a) => a.accountId === accountId).map((a) => a.action),
        ['hold', 'release'],
      );
    assert.ok(audit.every((a) => a.by.length > 0));
  });
});
