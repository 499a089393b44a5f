// The two ways onto a mail host: `npm install` of the packed package without dev dependencies, and the
// host package (`npm run package`: bundle + pinned Node) unpacked, its agent shipping a simulated host.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { ROOT } from '#scripts/build-bundle.ts';
import { buildHostPackage } from '#scripts/package.ts';
import { startTestCloud } from '#test/integration/harness.ts';
import { LOCAL_AWS_ENV } from '#test/support/agent-cli.ts';

const run = promisify(execFile);
/** A PATH without this project's Node 24: the installed `offsite` must find its own. */
const HOST_PATH = '/usr/local/bin:/usr/bin:/bin';

async function exec(file: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  try {
    const { stdout, stderr } = await run(file, args, { ...options, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('installing offsite on a mail host', () => {
  const work = mkdtempSync(join(tmpdir(), 'offsite-install-'));
  let cloud: LocalCloud;
  before(async () => {
    cloud = await startTestCloud();
  });
  after(async () => {
    await cloud?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('npm pack, then npm install --omit=dev in an empty directory: offsite runs, help and all', async () => {
    const packed = await exec('npm', ['pack', '--pack-destination', work, '--json'], { cwd: ROOT });
    assert.equal(packed.code, 0, packed.stderr);
    const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'mail-host', private: true }));
    const installed = await exec(
      'npm',
      ['install', join(work, filename), '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'],
      { cwd: app },
    );
    assert.equal(installed.code, 0, installed.stderr);
    const bin = join(app, 'node_modules', '.bin', 'offsite');
    // No TypeScript and no dev dependency is needed: what was installed is the bundle and its Node.
    assert.ok(!existsSync(join(app, 'node_modules', 'typescript')));
    assert.ok(!existsSync(join(app, 'node_modules', 'offsite', 'cli')));
    const env = { ...process.env, PATH: `${HOST_PATH}:${process.env.PATH}` };
    const help = await exec(bin, ['--help'], { env });
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^Usage: offsite/);
    const status = await exec(bin, ['agent', 'status', '--help'], { env });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /Usage: offsite agent status[\s\S]*--config <FILE>/);
    const bad = await exec(bin, ['agent', 'status', '--confg', 'x'], { env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown option '--confg'[\s\S]*--config/);
    // A command's code is a chunk of its own, loaded when it runs: the package holds the chunks.
    const run = await exec(bin, ['agent', 'status', '--config', join(work, 'missing.json')], { env });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /missing\.json/);
    assert.doesNotMatch(run.stderr, /ERR_MODULE_NOT_FOUND|Cannot find module/);
  });

  it('the host package (bundle and pinned Node) runs the agent on a simulated host, and its unit fits', async () => {
    const { archive } = await buildHostPackage(join(work, 'dist'));
    const opt = join(work, 'opt');
    mkdirSync(opt);
    assert.equal((await exec('tar', ['-C', opt, '-xzf', archive])).code, 0);
    const offsite = join(opt, 'offsite', 'bin', 'offsite');
    const version = await exec(join(opt, 'offsite', 'bin', 'node'), ['--version']);
    assert.match(version.stdout, /^v24\./);

    const sim = new MailHostSimulator({ hostDir: join(work, 'host'), seed: 11, accounts: 2 });
    sim.run(40);
    const config = join(work, 'agent.json');
    writeFileSync(
      config,
      JSON.stringify({
        serverId: 'srv-packaged',
        zimbraHome: sim.hostDir,
        stateDir: join(work, 'state'),
        metrics: { enabled: false },
        aws: {
          region: 'us-east-1',
          bucket: cloud.outputs.BackupBucketName,
          ingestQueueUrl: cloud.outputs.IngestQueueUrl,
          endpoint: cloud.endpoints.s3,
        },
      }),
    );
    // A host's environment: credentials, no Node of this project's on the PATH, and what the unit sets (Node
    // refuses a NODE_OPTIONS it does not allow).
    const unit = readFileSync(join(opt, 'offsite', 'share', 'offsite-agent.service'), 'utf8');
    const unitEnv = Object.fromEntries(
      [...unit.matchAll(/^Environment=([A-Z_]+)=(.*)$/gm)].map(([, name, value]) => [name, value]),
    );
    assert.ok(unitEnv.NODE_OPTIONS, 'the unit sizes the agent for memory');
    const env = { ...LOCAL_AWS_ENV, PATH: HOST_PATH, ...unitEnv };
    const shipped = await exec(offsite, ['agent', 'ship-once', '--config', config, '--json'], { env });
    assert.equal(shipped.code, 0, shipped.stderr);
    const report = JSON.parse(shipped.stdout) as { announced: number; gaps: unknown[] };
    assert.ok(report.announced > 0, shipped.stdout);
    const listed = await cloud.clients.s3.send(
      new ListObjectsV2Command({ Bucket: cloud.outputs.BackupBucketName, Prefix: 'servers/srv-packaged/' }),
    );
    assert.equal(listed.KeyCount, report.announced, 'every announced object is in the bucket');
    const status = await exec(offsite, ['agent', 'status', '--config', config, '--json'], { env });
    assert.equal(status.code, 0, status.stderr);

    // The unit shipped in the package starts this launcher; systemd accepts it as unpacked here.
    assert.match(
      unit,
      /^ExecStart=\/opt\/offsite\/bin\/offsite agent run --config \/etc\/offsite\/agent\.json$/m,
    );
    const local = join(work, 'offsite-agent.service');
    writeFileSync(local, unit.replaceAll('/opt/offsite', join(opt, 'offsite')));
    const verified = await exec('systemd-analyze', ['verify', '--man=no', local]);
    assert.equal(verified.code, 0, verified.stderr);
  });
});
