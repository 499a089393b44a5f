// The coherency check against injected damage: a healthy backup checks clean (every segment, seal, LDAP
// dump, scan snapshot and pack accounted for), then a pack of referenced bodies is deleted, one frame of
// another pack is damaged, a segment is overwritten with bytes of the same size, and an orphan blob, an
// orphan pack and an orphan segment are put in. A check finds the missing pack and the orphans; reading the
// data finds the corruption (of a segment, and of exactly one body of a pack) too; --fix copies the damaged
// pack's sound bodies out, moves the corrupt objects and the orphans to quarantine/ (the AWS CLI sees them
// there) and records each in the index, so a last check, `offsite quarantine` and a restore that misses the
// body say where it went, and the damaged body's neighbour still restores.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import type { Finding, QuarantineRecord } from '#core/coherency/coherency-request.ts';
import type { Operation } from '#core/operation.ts';
import type { RestoreReport } from '#core/restore/restore-report.ts';
import { blobKey, packKey } from '#core/storage/body-keys.ts';
import type { BodyLocation } from '#core/storage/body-location.ts';
import { encodePack } from '#core/storage/body-pack.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { startTestCloud } from '#test/integration/harness.ts';
import { LOCAL_AWS_ENV, offsite } from '#test/support/agent-cli.ts';
import { bodyLocation, damageFrame } from '#test/support/packed-bodies.ts';
import { shipSimulatedHost } from '#test/support/ship-and-index.ts';

const serverId = 'srv-coherent';

describe('coherency check against injected damage', () => {
  let cloud: LocalCloud;
  let sim: MailHostSimulator;
  let bucket: string;
  const work = mkdtempSync(join(tmpdir(), 'offsite-coherency-'));
  // missing: a lost pack; corruptBlob: a pack with one damaged frame; orphanPack: a pack nothing locates.
  const damage = {
    missing: '',
    corrupt: '',
    corruptBlob: '',
    orphanBlob: '',
    orphanPack: '',
    orphanSegment: '',
  };
  /** A message whose body shares the damaged pack, sound. */
  let sound = { accountId: '', itemId: '' };
  /** The message whose body is damaged: its account and item id. */
  let damagedMessage = { accountId: '', itemId: '' };

  async function check(params: Record<string, unknown>): Promise<{ op: Operation; findings: Finding[] }> {
    const out = await offsite(
      [
        'ops',
        'start',
        'coherency',
        '--params',
        JSON.stringify({ orphanGraceHours: 0, ...params }),
        '--wait',
        '--json',
      ],
      { OFFSITE_CONTROL_URL: cloud.outputs.ControlUrl as string },
    );
    const op = JSON.parse(out.stdout) as Operation;
    assert.equal(out.code, op.state === 'succeeded' ? 0 : 1, out.stderr);
    const got = await cloud.clients.s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: op.result?.report as string }),
    );
    const report = JSON.parse(
      await (got.Body as { transformToString(): Promise<string> }).transformToString(),
    ) as {
      findings: Finding[];
    };
    return { op, findings: report.findings };
  }
  const problems = (findings: Finding[]) => findings.map((f) => `${f.problem} ${f.key}`).sort();
  /** Other bytes under `key`, its metadata kept: only reading the data can tell. */
  async function overwriteKeepingMetadata(key: string, body: Buffer): Promise<void> {
    const head = await cloud.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    await cloud.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, Metadata: head.Metadata }),
    );
  }
  async function exists(key: string): Promise<boolean> {
    return cloud.clients.s3
      .send(new HeadObjectCommand({ Bucket: bucket, Key: key }))
      .then(() => true)
      .catch(() => false);
  }

  before(async () => {
    cloud = await startTestCloud();
    bucket = cloud.outputs.BackupBucketName as string;
    sim = new MailHostSimulator({
      hostDir: join(work, 'host'),
      seed: 12,
      accounts: 3,
      rolloverBytes: 64 * 1024,
    });
    sim.run(150);
    sim.close();
    await shipSimulatedHost(
      cloud,
      { serverId, hostDir: sim.hostDir, workDir: work, segmentKiB: 32 },
      120_000,
    );
  });
  after(async () => {
    await cloud?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('finds nothing wrong with a healthy backup, reading every byte', async () => {
    const { op, findings } = await check({ readData: true });
    assert.deepEqual(problems(findings), []);
    assert.equal(op.state, 'succeeded', op.error);
    assert.ok(Number(op.progress?.objectsChecked) > 0);
  });

  it('finds a missing blob and the orphans by metadata, and the corruption only by reading the data', async () => {
    const messages = Object.values(sim.current().mailboxes).flatMap((m) =>
      Object.entries(m.messages).map(([id, x]) => ({ accountId: m.accountId, itemId: id, sha256: x.sha256 })),
    );
    // One pack lost whole; in another, one body's frame damaged (the pack's other bodies are sound).
    const located = new Map<string, BodyLocation>();
    for (const m of messages) {
      const at = await bodyLocation(cloud, m.sha256);
      assert.ok(at, `body ${m.sha256} is located`);
      located.set(m.sha256, at);
    }
    const message = messages[0];
    assert.ok(message);
    damage.missing = located.get(message.sha256)?.pack as string;
    const other = messages.find((m) => {
      const pack = located.get(m.sha256)?.pack;
      return (
        pack !== damage.missing &&
        messages.some((n) => n.sha256 !== m.sha256 && located.get(n.sha256)?.pack === pack)
      );
    });
    assert.ok(other, 'a message in another pack that holds more than its body');
    damage.corruptBlob = located.get(other.sha256)?.pack as string;
    damagedMessage = { accountId: other.accountId, itemId: other.itemId };
    sound = messages.find(
      (m) => m.sha256 !== other.sha256 && located.get(m.sha256)?.pack === damage.corruptBlob,
    ) as typeof sound;
    await damageFrame(cloud, located.get(other.sha256) as BodyLocation);
    await cloud.clients.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: damage.missing }));
    const segments = await cloud.clients.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `servers/${serverId}/redo/` }),
    );
    const segment = (segments.Contents ?? []).find((o) => (o.Size ?? 0) > 100);
    assert.ok(segment?.Key);
    damage.corrupt = segment.Key;
    await overwriteKeepingMetadata(damage.corrupt, randomBytes(segment.Size as number));
    const stray = Buffer.from('a body no item refers to');
    damage.orphanBlob = blobKey(sha256Hex(stray));
    await cloud.clients.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: damage.orphanBlob,
        Body: stray,
        Metadata: { sha256: sha256Hex(stray) },
      }),
    );
    const strayPack = encodePack([{ sha256: sha256Hex(stray), content: stray }]);
    damage.orphanPack = packKey(strayPack.sha256);
    await cloud.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: damage.orphanPack, Body: strayPack.bytes }),
    );
    damage.orphanSegment = `servers/${serverId}/redo/${'9'.repeat(6)}/0-64.${'0'.repeat(64)}`;
    await cloud.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: damage.orphanSegment, Body: randomBytes(64) }),
    );

    const quick = await check({});
    assert.equal(quick.op.state, 'failed');
    assert.deepEqual(
      problems(quick.findings),
      [
        `missing ${damage.missing}`,
        `orphan ${damage.orphanBlob}`,
        `orphan ${damage.orphanPack}`,
        `orphan ${damage.orphanSegment}`,
      ].sort(),
    );
    const thorough = await check({ readData: true });
    assert.deepEqual(
      problems(thorough.findings),
      [
        `corrupt ${damage.corrupt}`,
        `corrupt ${damage.corruptBlob}`,
        `missing ${damage.missing}`,
        `orphan ${damage.orphanBlob}`,
        `orphan ${damage.orphanPack}`,
        `orphan ${damage.orphanSegment}`,
      ].sort(),
    );
    // The damaged pack is one finding naming exactly the body that does not verify.
    const corruptPack = thorough.findings.find((f) => f.key === damage.corruptBlob);
    assert.match(corruptPack?.detail ?? '', /^body [0-9a-f]{64} at \d+ /);
    assert.doesNotMatch(corruptPack?.detail ?? '', /; body/);
    assert.match(thorough.op.error ?? '', /6 problems left/);
  });

  it('--fix moves the corrupt segment and the orphans to quarantine/, and the next check finds only the missing blob', async () => {
    const fixed = await check({ readData: true, fix: true });
    // (A reference share may also find a blob missing that a blob share of the same check had just moved.)
    const moved = Object.fromEntries(
      fixed.findings.filter((f) => f.quarantinedAs).map((f) => [f.key, f.quarantinedAs]),
    );
    assert.equal(moved[damage.missing], undefined, 'a missing blob cannot be moved');
    for (const key of [
      damage.corrupt,
      damage.corruptBlob,
      damage.orphanBlob,
      damage.orphanPack,
      damage.orphanSegment,
    ]) {
      assert.equal(moved[key], `quarantine/${fixed.op.id}/${key}`);
      assert.equal(await exists(key), false, `${key} left its place`);
    }
    // The AWS CLI, an independent reader, sees the quarantine.
    const { stdout } = await promisify(execFile)(
      'aws',
      [
        's3',
        'ls',
        `s3://${bucket}/quarantine/${fixed.op.id}/`,
        '--recursive',
        '--endpoint-url',
        cloud.endpoints.s3,
      ],
      { env: LOCAL_AWS_ENV },
    );
    assert.equal(stdout.trim().split('\n').length, 5);
    assert.equal(fixed.op.state, 'failed', 'the missing blob is still missing');
    assert.equal(fixed.op.result?.quarantined, 5);

    const after = await check({ readData: true });
    // What was quarantined is now missing from where the catalog and the items expect it: that is what is
    // left, each saying where it went; the blob that was simply lost says nothing of the kind.
    assert.deepEqual(
      problems(after.findings),
      [`missing ${damage.corrupt}`, `missing ${damage.corruptBlob}`, `missing ${damage.missing}`].sort(),
    );
    const detail = (key: string) => after.findings.find((f) => f.key === key)?.detail ?? '';
    for (const key of [damage.corrupt, damage.corruptBlob])
      assert.match(
        detail(key),
        new RegExp(`moved to quarantine/${fixed.op.id}/.* by coherency check ${fixed.op.id}`),
      );
    assert.doesNotMatch(detail(damage.missing), /quarantine/);
  });

  it('records the quarantine in the index: listed by offsite quarantine, and named by a restore that misses the body', async () => {
    const env = { OFFSITE_CONTROL_URL: cloud.outputs.ControlUrl as string };
    const out = await offsite(['quarantine', '--json'], env);
    assert.equal(out.code, 0, out.stderr);
    assert.ok(out.stdout, out.stderr);
    const { quarantined } = JSON.parse(out.stdout) as { quarantined: QuarantineRecord[] };
    assert.deepEqual(
      quarantined.map((r) => [r.key, r.problem]).sort(),
      [
        [damage.corrupt, 'corrupt'],
        [damage.corruptBlob, 'corrupt'],
        [damage.orphanBlob, 'orphan'],
        [damage.orphanPack, 'orphan'],
        [damage.orphanSegment, 'orphan'],
      ].sort(),
    );
    for (const r of quarantined) assert.equal(r.quarantinedAs, `quarantine/${r.operationId}/${r.key}`);

    const restored = await offsite(
      ['restore', 'item', damagedMessage.accountId, damagedMessage.itemId, '--wait', '--json'],
      env,
    );
    const op = JSON.parse(restored.stdout) as Operation;
    assert.equal(op.state, 'succeeded', op.error);
    const got = await cloud.clients.s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: `operations/${op.id}/report.json` }),
    );
    const report = JSON.parse(
      await (got.Body as { transformToString(): Promise<string> }).transformToString(),
    ) as RestoreReport;
    const unrestored = report.accounts.flatMap((a) => a.unrestored);
    assert.equal(unrestored.length, 1);
    assert.equal(String(unrestored[0]?.id), damagedMessage.itemId);
    assert.match(
      unrestored[0]?.detail ?? '',
      /missing from the bucket: moved to quarantine\/.* by coherency check/,
    );
    // The damaged pack's sound bodies were copied out before it went: they still restore.
    const neighbour = await offsite(
      ['restore', 'item', sound.accountId, sound.itemId, '--wait', '--json'],
      env,
    );
    const nop = JSON.parse(neighbour.stdout) as Operation;
    assert.equal(nop.state, 'succeeded', nop.error);
    assert.equal(nop.result?.unrestored, 0, 'the sound neighbour of the damaged body is restored');
  });
});
