// One-shot shipping with bad input: each mistake gives one message naming what and where, a non-zero
// exit, and ships nothing.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { startTestCloud } from '#test/integration/harness.ts';
import { offsite } from '#test/support/agent-cli.ts';

describe('agent ship-once with bad input', () => {
  let cloud: LocalCloud;
  let goodHost: string;
  const work = mkdtempSync(join(tmpdir(), 'offsite-badinput-'));
  before(async () => {
    cloud = await startTestCloud();
    const sim = new MailHostSimulator({ hostDir: join(work, 'good'), seed: 3, accounts: 2 });
    sim.run(30);
    goodHost = sim.hostDir;
  });
  after(async () => {
    await cloud?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  let n = 0;
  /** Ships once with `change` applied to a valid configuration; returns the exit code and stderr. */
  async function shipOnce(change: (config: Record<string, unknown>) => void) {
    n++;
    const aws: Record<string, unknown> = {
      region: 'us-east-1',
      bucket: cloud.outputs.BackupBucketName,
      ingestQueueUrl: cloud.outputs.IngestQueueUrl,
      endpoint: cloud.endpoints.s3,
    };
    const config: Record<string, unknown> = {
      serverId: `srv-bad-${n}`,
      zimbraHome: goodHost,
      stateDir: join(work, `state-${n}`),
      aws,
      metrics: { enabled: false },
    };
    change(config);
    const file = join(work, `agent-${n}.json`);
    writeFileSync(file, JSON.stringify(config));
    const started = Date.now();
    const result = await offsite(['agent', 'ship-once', '--config', file]);
    return {
      code: result.code,
      stderr: result.stderr,
      ms: Date.now() - started,
      serverId: config.serverId as string,
    };
  }

  async function shippedKeys(serverId: string): Promise<number> {
    const page = await cloud.clients.s3.send(
      new ListObjectsV2Command({ Bucket: cloud.outputs.BackupBucketName, Prefix: `servers/${serverId}/` }),
    );
    return page.KeyCount ?? 0;
  }

  /** A copy of the good host whose redo.log is replaced by `bytes`. */
  function hostWithRedoLog(name: string, bytes: Buffer): string {
    const dir = join(work, name);
    cpSync(goodHost, dir, { recursive: true });
    writeFileSync(join(dir, 'redolog', 'redo.log'), bytes);
    return dir;
  }

  it('the good host ships (the cases below differ from it in one thing)', async () => {
    const result = await shipOnce(() => {});
    assert.equal(result.code, 0, result.stderr);
    assert.ok((await shippedKeys(result.serverId)) > 0);
  });

  it('a directory that is not a Zimbra host', async () => {
    const notZimbra = join(work, 'not-zimbra');
    mkdirSync(join(notZimbra, 'etc'), { recursive: true });
    const result = await shipOnce((c) => {
      c.zimbraHome = notZimbra;
    });
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      new RegExp(
        `^offsite: no redo log directory ${notZimbra}/redolog: this does not look like a Zimbra mailbox host`,
      ),
    );
    assert.equal(await shippedKeys(result.serverId), 0);
  });

  it('a redo directory that is a file', async () => {
    const file = join(work, 'plain-file');
    writeFileSync(file, 'x');
    const result = await shipOnce((c) => {
      c.redologDir = file;
    });
    assert.equal(result.code, 2);
    assert.match(result.stderr, new RegExp(`${file} is not a directory`));
  });

  it('a redo directory without redo.log', async () => {
    const empty = join(work, 'empty-host');
    mkdirSync(join(empty, 'redolog'), { recursive: true });
    const result = await shipOnce((c) => {
      c.zimbraHome = empty;
    });
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      new RegExp(`no ${empty}/redolog/redo.log: the mail server has not started a redo log`),
    );
  });

  it('a redo.log with a wrong magic', async () => {
    const bad = Buffer.alloc(4096, 0x41);
    const host = hostWithRedoLog('wrong-magic', bad);
    const result = await shipOnce((c) => {
      c.zimbraHome = host;
    });
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      new RegExp(
        `${host}/redolog/redo.log is not a redo log this agent can ship: not a redo log: magic is "AAAAAAA"`,
      ),
    );
    assert.equal(await shippedKeys(result.serverId), 0);
  });

  it('a redo.log of an unknown version', async () => {
    const bytes = readFileSync(join(goodHost, 'redolog', 'redo.log'));
    bytes.writeInt16BE(9, 168);
    const host = hostWithRedoLog('future-version', bytes);
    const result = await shipOnce((c) => {
      c.zimbraHome = host;
    });
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /redo\.log is not a redo log this agent can ship: header version 9\.\d+ is newer than this reader knows/,
    );
    assert.equal(await shippedKeys(result.serverId), 0);
  });

  it('a bucket that does not exist fails at once, without the retries', async () => {
    const result = await shipOnce((c) => {
      (c.aws as Record<string, unknown>).bucket = 'no-such-bucket-here';
    });
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /offsite: bucket "no-such-bucket-here" does not exist at http:\/\/127\.0\.0\.1:\d+: set aws\.bucket/,
    );
    assert.ok(result.ms < 10_000, `${result.ms} ms`);
  });

  it('a queue that does not exist', async () => {
    const result = await shipOnce((c) => {
      const aws = c.aws as Record<string, unknown>;
      aws.ingestQueueUrl = String(aws.ingestQueueUrl).replace(/[^/]+$/, 'no-such-queue.fifo');
    });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /offsite: queue .*no-such-queue\.fifo does not exist/);
  });

  it('a configuration with a wrong field', async () => {
    const result = await shipOnce((c) => {
      c.segment = { maxAgeSeconds: -1 };
    });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /segment\.maxAgeSeconds/);
  });
});
