// moto only: its KMS holds the stack's asymmetric drill signing key (fauxqs has no KMS; there the local key
// pair stands in). A drill signs with KMS Sign; `offsite drill show --verify` checks it with the public key
// from KMS GetPublicKey, and the AWS CLI's `kms verify` agrees; the attestation is locked by the bucket's
// Object Lock like the backups it speaks for.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { DrillAttestation, SignedAttestation } from '#core/drill/drill-attestation.ts';
import { signedStatement } from '#core/drill/drill-attestation.ts';
import type { MailSnapshot } from '#core/mail-snapshot.ts';
import type { Operation } from '#core/operation.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { startTestCloud } from '#test/integration/harness.ts';
import { LOCAL_AWS_ENV, offsite } from '#test/support/agent-cli.ts';
import { objectBytes } from '#test/support/packed-bodies.ts';
import { shipSimulatedHost } from '#test/support/ship-and-index.ts';

const serverId = 'srv-drill-kms';

describe('restore drills signed with KMS', () => {
  let cloud: LocalCloud;
  let current: MailSnapshot;
  const work = mkdtempSync(join(tmpdir(), 'offsite-drill-kms-'));
  const env = () => ({ OFFSITE_CONTROL_URL: cloud.outputs.ControlUrl as string });
  const aws = (...args: string[]) =>
    promisify(execFile)('aws', [...args, '--endpoint-url', cloud.endpoints.s3, '--output', 'json'], {
      env: { ...process.env, ...LOCAL_AWS_ENV },
    });

  before(async () => {
    cloud = await startTestCloud();
    const sim = new MailHostSimulator({
      hostDir: join(work, 'host'),
      seed: 5,
      accounts: 2,
      tickMaxMs: 60_000,
    });
    sim.run(120);
    sim.close();
    current = sim.current();
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

  it('signs with the KMS key; offsite and the AWS CLI verify it, and the bucket keeps it locked', async () => {
    const run = await offsite(['drill', 'run', '--accounts', '10', '--wait', '--json'], env());
    const op = JSON.parse(run.stdout) as Operation;
    assert.equal(run.code, 0, `${op.state}: ${op.error} ${run.stderr}`);
    const shown = await offsite(['drill', 'show', op.id, '--verify', '--json'], env());
    assert.equal(shown.code, 0, shown.stderr);
    const { key, keyId, verified, attestation } = JSON.parse(shown.stdout) as {
      key: string;
      keyId: string;
      verified: boolean;
      attestation: DrillAttestation;
    };
    assert.equal(verified, true);
    const keyArn = cloud.outputs.DrillSigningKeyArn as string;
    assert.match(keyArn, /^arn:aws:kms:us-east-1:\d{12}:key\//, 'a key moto holds');
    assert.equal(keyId, keyArn, 'signed by the stack key');
    // Every live account (fewer than asked for).
    assert.equal(attestation.accounts.length, Object.keys(current.mailboxes).length);
    for (const account of attestation.accounts) {
      assert.deepEqual(account.mismatches, []);
      assert.equal(
        account.restored.messages,
        Object.keys(current.mailboxes[account.mailboxId]?.messages ?? {}).length,
      );
    }
    // KMS itself, through the AWS CLI, says the signature is its key's over the statement.
    const envelope = JSON.parse((await objectBytes(cloud, key)).toString('utf8')) as SignedAttestation;
    writeFileSync(join(work, 'statement'), signedStatement(Buffer.from(envelope.payload, 'base64')));
    writeFileSync(join(work, 'signature'), Buffer.from(envelope.signature, 'base64'));
    const kmsVerify = async (statement: string) =>
      JSON.parse(
        (
          await aws(
            'kms',
            'verify',
            '--key-id',
            keyArn,
            '--message',
            `fileb://${statement}`,
            '--message-type',
            'RAW',
            '--signing-algorithm',
            'ECDSA_SHA_256',
            '--signature',
            `fileb://${join(work, 'signature')}`,
          ).catch((error: { stdout?: string; stderr?: string }) => ({
            stdout: JSON.stringify({ SignatureValid: false, error: error.stderr }),
          }))
        ).stdout,
      ) as { SignatureValid: boolean };
    assert.equal((await kmsVerify(join(work, 'statement'))).SignatureValid, true);
    writeFileSync(join(work, 'forged'), signedStatement(Buffer.from('{"outcome":"passed"}')));
    assert.equal((await kmsVerify(join(work, 'forged'))).SignatureValid, false);
    // The evidence is kept like a backup: the bucket's default retention locks it (operations/ gets a day).
    const head = await cloud.clients.s3.send(
      new HeadObjectCommand({ Bucket: cloud.outputs.BackupBucketName, Key: key }),
    );
    assert.ok(head.ObjectLockMode, 'locked');
    assert.ok(
      (head.ObjectLockRetainUntilDate?.getTime() ?? 0) > Date.now() + 20 * 86_400_000,
      `retained for the bucket's days, not an operation's (${head.ObjectLockRetainUntilDate?.toISOString()})`,
    );
  });
});
