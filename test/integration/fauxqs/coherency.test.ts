// The coherency check against injected damage: a healthy backup checks clean (every segment, seal, LDAP
// dump, scan snapshot and blob accounted for), then a referenced blob is deleted, a segment is overwritten
// with bytes of the same size and an orphan blob and an orphan segment are put in. A check finds the missing
// blob and the orphans; reading the data finds the corruption too; --fix moves the corrupt segment and the
// orphans to quarantine/ (the AWS CLI sees them there), and a last check finds only what no fix can bring back.
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
import { blobKey } from '#core/blob-key.ts';
import type { Finding } from '#core/coherency/coherency-request.ts';
import type { Operation } from '#core/operation.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { startTestCloud } from '#test/integration/harness.ts';
import { LOCAL_AWS_ENV, offsite, writeAgentConfig } from '#test/support/agent-cli.ts';
import { shipAndIndex } from '#test/support/ship-and-index.ts';

const serverId = 'srv-coherent';

describe('coherency check against injected damage', () => {
  let cloud: LocalCloud;
  let sim: MailHostSimulator;
  let bucket: string;
  const work = mkdtempSync(join(tmpdir(), 'offsite-coherency-'));
  const damage = { missing: '', corrupt: '', orphanBlob: '', orphanSegment: '' };

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
    const configFile = writeAgentConfig(join(work, 'agent.json'), cloud, {
      serverId,
      zimbraHome: sim.hostDir,
      stateDir: join(work, 'state'),
      segment: { maxMiB: 32 / 1024, maxAgeSeconds: 1 },
      pollMs: 50,
      metrics: { enabled: false },
    });
    await shipAndIndex(cloud, configFile, serverId, 120_000);
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
    const message = Object.values(sim.current().mailboxes).flatMap((m) => Object.values(m.messages))[0];
    assert.ok(message);
    damage.missing = blobKey(message.sha256);
    await cloud.clients.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: damage.missing }));
    const segments = await cloud.clients.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `servers/${serverId}/redo/` }),
    );
    const segment = (segments.Contents ?? []).find((o) => (o.Size ?? 0) > 100);
    assert.ok(segment?.Key);
    damage.corrupt = segment.Key;
    const original = await cloud.clients.s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: damage.corrupt }),
    );
    await cloud.clients.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: damage.corrupt,
        Body: randomBytes(segment.Size as number),
        Metadata: original.Metadata,
      }),
    );
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
    damage.orphanSegment = `servers/${serverId}/redo/${'9'.repeat(6)}/0-64.${'0'.repeat(64)}`;
    await cloud.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: damage.orphanSegment, Body: randomBytes(64) }),
    );

    const quick = await check({});
    assert.equal(quick.op.state, 'failed');
    assert.deepEqual(
      problems(quick.findings),
      [`missing ${damage.missing}`, `orphan ${damage.orphanBlob}`, `orphan ${damage.orphanSegment}`].sort(),
    );
    const thorough = await check({ readData: true });
    assert.deepEqual(
      problems(thorough.findings),
      [
        `corrupt ${damage.corrupt}`,
        `missing ${damage.missing}`,
        `orphan ${damage.orphanBlob}`,
        `orphan ${damage.orphanSegment}`,
      ].sort(),
    );
    assert.match(thorough.op.error ?? '', /4 problems left/);
  });

  it('--fix moves the corrupt segment and the orphans to quarantine/, and the next check finds only the missing blob', async () => {
    const fixed = await check({ readData: true, fix: true });
    const moved = Object.fromEntries(fixed.findings.map((f) => [f.key, f.quarantinedAs]));
    assert.equal(moved[damage.missing], undefined, 'a missing blob cannot be moved');
    for (const key of [damage.corrupt, damage.orphanBlob, damage.orphanSegment]) {
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
    assert.equal(stdout.trim().split('\n').length, 3);
    assert.equal(fixed.op.state, 'failed', 'the missing blob is still missing');
    assert.equal(fixed.op.result?.quarantined, 3);

    const after = await check({ readData: true });
    // The quarantined segment is now missing from where the catalog expects it: that is what is left.
    assert.deepEqual(
      problems(after.findings),
      [`missing ${damage.corrupt}`, `missing ${damage.missing}`].sort(),
    );
  });
});
